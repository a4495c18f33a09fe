/*
 * txnprobe: does a Kafka cluster keep the two promises exactly-once
 * processing relies on? Used by tests/it/pipeline.sh before it asserts
 * exactly-once results, independently of feedsense.
 *
 *   1. offsets sent to a committed transaction (TxnOffsetCommit) become the
 *      consumer group's committed offsets;
 *   2. a read_committed consumer does not see the records of an aborted
 *      transaction.
 *
 * Usage: txnprobe BOOTSTRAP TOPIC   (TOPIC: an empty topic, partition 0 used)
 * Prints one line per promise ("txn-offsets yes|no", "aborted-hidden
 * yes|no"); exits 0 when both hold, 3 when one does not, 1 on error.
 */
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <string.h>

static int set(rd_kafka_conf_t *conf, const char *name, const char *value)
{
	char es[512];
	if (rd_kafka_conf_set(conf, name, value, es, sizeof(es)) != RD_KAFKA_CONF_OK) {
		fprintf(stderr, "txnprobe: %s: %s\n", name, es);
		return -1;
	}
	return 0;
}

static int txn_ok(rd_kafka_error_t *error, const char *what)
{
	if (!error) {
		return 1;
	}
	fprintf(stderr, "txnprobe: %s: %s\n", what, rd_kafka_error_string(error));
	rd_kafka_error_destroy(error);
	return 0;
}

int main(int argc, char **argv)
{
	const char *bootstrap, *topic, *group = "txnprobe-group";
	rd_kafka_conf_t *conf;
	rd_kafka_t *p, *c;
	rd_kafka_topic_partition_list_t *offs;
	rd_kafka_consumer_group_metadata_t *cgmd;
	char es[512];
	int64_t committed;
	int seen_aborted = 0, seen_committed = 0, eof = 0, polls = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: txnprobe BOOTSTRAP TOPIC\n");
		return 1;
	}
	bootstrap = argv[1];
	topic = argv[2];

	/* a transactional producer: one aborted transaction, then one committed
	 * transaction that also commits offset 1 of TOPIC[0] for the group */
	conf = rd_kafka_conf_new();
	if (set(conf, "bootstrap.servers", bootstrap) || set(conf, "transactional.id", "txnprobe")) {
		return 1;
	}
	p = rd_kafka_new(RD_KAFKA_PRODUCER, conf, es, sizeof(es));
	if (!p) {
		fprintf(stderr, "txnprobe: %s\n", es);
		return 1;
	}
	if (!txn_ok(rd_kafka_init_transactions(p, 30000), "init_transactions") ||
	    !txn_ok(rd_kafka_begin_transaction(p), "begin_transaction")) {
		return 1;
	}
	rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE("aborted", 7),
			  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
	rd_kafka_flush(p, 10000);
	if (!txn_ok(rd_kafka_abort_transaction(p, 30000), "abort_transaction") ||
	    !txn_ok(rd_kafka_begin_transaction(p), "begin_transaction")) {
		return 1;
	}
	rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0), RD_KAFKA_V_VALUE("committed", 9),
			  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
	offs = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(offs, topic, 0)->offset = 1;
	cgmd = rd_kafka_consumer_group_metadata_new(group);
	if (!txn_ok(rd_kafka_send_offsets_to_transaction(p, offs, cgmd, 30000), "send_offsets_to_transaction") ||
	    !txn_ok(rd_kafka_commit_transaction(p, 30000), "commit_transaction")) {
		return 1;
	}
	rd_kafka_consumer_group_metadata_destroy(cgmd);
	rd_kafka_topic_partition_list_destroy(offs);
	rd_kafka_destroy(p);

	/* a read_committed consumer of the group */
	conf = rd_kafka_conf_new();
	if (set(conf, "bootstrap.servers", bootstrap) || set(conf, "group.id", group) ||
	    set(conf, "isolation.level", "read_committed") || set(conf, "enable.partition.eof", "true") ||
	    set(conf, "enable.auto.commit", "false")) {
		return 1;
	}
	c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, es, sizeof(es));
	if (!c) {
		fprintf(stderr, "txnprobe: %s\n", es);
		return 1;
	}
	offs = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(offs, topic, 0);
	if (rd_kafka_committed(c, offs, 10000)) {
		fprintf(stderr, "txnprobe: cannot fetch the committed offsets\n");
		return 1;
	}
	committed = offs->elems[0].offset;
	offs->elems[0].offset = RD_KAFKA_OFFSET_BEGINNING;
	rd_kafka_assign(c, offs);
	while (!eof && polls++ < 100) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(c, 100);
		if (!m) {
			continue;
		}
		if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			eof = 1;
		} else if (!m->err) {
			seen_aborted += m->len == 7 && !memcmp(m->payload, "aborted", 7);
			seen_committed += m->len == 9 && !memcmp(m->payload, "committed", 9);
		}
		rd_kafka_message_destroy(m);
	}
	rd_kafka_topic_partition_list_destroy(offs);
	rd_kafka_consumer_close(c);
	rd_kafka_destroy(c);
	if (!eof || !seen_committed) {
		fprintf(stderr, "txnprobe: the committed record was not read back\n");
		return 1;
	}
	printf("txn-offsets %s (committed offset %lld, want 1)\n", committed == 1 ? "yes" : "no", (long long)committed);
	printf("aborted-hidden %s\n", seen_aborted ? "no" : "yes");
	return committed == 1 && !seen_aborted ? 0 : 3;
}
