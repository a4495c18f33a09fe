/*
 * ktool: the two things tests/kafka/kafka.sh needs that neither the shell nor
 * kcat does, without starting a JVM for them.
 *
 *   ktool ports N
 *       N free TCP ports on 127.0.0.1, one a line, picked by the kernel
 *       (bind to port 0); the sockets are closed again before exit, so the
 *       caller should use the ports at once.
 *   ktool create BOOTSTRAP [-X PROP=VALUE]... NAME:PARTITIONS[:REPLICAS]...
 *       create the topics (replicas: the broker's default.replication.factor
 *       when omitted) and wait for the result; a topic that exists already
 *       is fine. -X passes a librdkafka property (security settings).
 *
 * Exits 0 on success, 1 on any error (printed on stderr), 2 on bad usage.
 */
#include <arpa/inet.h>
#include <librdkafka/rdkafka.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define KTOOL_MAX_PORTS 64
#define KTOOL_MAX_TOPICS 64

static int usage(void)
{
	fprintf(stderr, "usage: ktool ports N\n"
			"       ktool create BOOTSTRAP [-X PROP=VALUE]... NAME:PARTITIONS[:REPLICAS]...\n");
	return 2;
}

static int ports(int n)
{
	int fds[KTOOL_MAX_PORTS], i, rc = 0;

	if (n < 1 || n > KTOOL_MAX_PORTS) {
		return usage();
	}
	/* all sockets stay open until every port is printed: N distinct ports */
	for (i = 0; i < n; i++) {
		struct sockaddr_in sa;
		socklen_t len = sizeof(sa);

		memset(&sa, 0, sizeof(sa));
		sa.sin_family = AF_INET;
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
		    getsockname(fds[i], (struct sockaddr *)&sa, &len) != 0) {
			perror("ktool ports");
			rc = 1;
			n = i + (fds[i] >= 0);
			break;
		}
		printf("%d\n", ntohs(sa.sin_port));
	}
	for (i = 0; i < n; i++) {
		close(fds[i]);
	}
	return rc;
}

static int create(int argc, char **argv)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_t *rk = NULL;
	rd_kafka_NewTopic_t *nt[KTOOL_MAX_TOPICS];
	rd_kafka_queue_t *q = NULL;
	rd_kafka_event_t *ev = NULL;
	rd_kafka_AdminOptions_t *opts = NULL;
	const rd_kafka_topic_result_t **res;
	char es[512];
	size_t nres, i;
	int ntopics = 0, rc = 1, a;

	if (rd_kafka_conf_set(conf, "bootstrap.servers", argv[0], es, sizeof(es)) != RD_KAFKA_CONF_OK) {
		goto fail;
	}
	for (a = 1; a < argc; a++) {
		char *name, *colon, *end;
		long parts, repl = -1;

		if (!strcmp(argv[a], "-X") && a + 1 < argc) {
			char *prop = argv[++a], *eq = strchr(prop, '=');
			if (!eq) {
				snprintf(es, sizeof(es), "-X %s: expected PROP=VALUE", prop);
				goto fail;
			}
			*eq = '\0';
			if (rd_kafka_conf_set(conf, prop, eq + 1, es, sizeof(es)) != RD_KAFKA_CONF_OK) {
				goto fail;
			}
			continue;
		}
		name = argv[a];
		colon = strchr(name, ':');
		if (!colon || ntopics == KTOOL_MAX_TOPICS) {
			snprintf(es, sizeof(es), "%s: expected NAME:PARTITIONS[:REPLICAS] (at most %d topics)", name,
				 KTOOL_MAX_TOPICS);
			goto fail;
		}
		*colon = '\0';
		parts = strtol(colon + 1, &end, 10);
		if (*end == ':') {
			repl = strtol(end + 1, &end, 10);
		}
		if (*end || parts < 1 || repl == 0 || repl < -1) {
			snprintf(es, sizeof(es), "%s: bad partition or replica count", name);
			goto fail;
		}
		nt[ntopics] = rd_kafka_NewTopic_new(name, (int)parts, (int)repl, es, sizeof(es));
		if (!nt[ntopics]) {
			goto fail;
		}
		ntopics++;
	}
	if (!ntopics) {
		rd_kafka_conf_destroy(conf);
		return usage();
	}
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, es, sizeof(es));
	if (!rk) {
		goto fail;
	}
	conf = NULL;
	q = rd_kafka_queue_new(rk);
	opts = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
	if (rd_kafka_AdminOptions_set_request_timeout(opts, 30000, es, sizeof(es)) ||
	    rd_kafka_AdminOptions_set_operation_timeout(opts, 30000, es, sizeof(es))) {
		goto fail;
	}
	rd_kafka_CreateTopics(rk, nt, (size_t)ntopics, opts, q);
	ev = rd_kafka_queue_poll(q, 60000);
	if (!ev) {
		snprintf(es, sizeof(es), "no answer within 60 s");
		goto fail;
	}
	if (rd_kafka_event_error(ev)) {
		snprintf(es, sizeof(es), "%s", rd_kafka_event_error_string(ev));
		goto fail;
	}
	res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &nres);
	rc = 0;
	for (i = 0; i < nres; i++) {
		rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
		if (err && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
			fprintf(stderr, "ktool create: %s: %s\n", rd_kafka_topic_result_name(res[i]),
				rd_kafka_topic_result_error_string(res[i]) ? rd_kafka_topic_result_error_string(res[i])
									   : rd_kafka_err2str(err));
			rc = 1;
		}
	}
	es[0] = '\0';
fail:
	if (rc && es[0]) {
		fprintf(stderr, "ktool create: %s\n", es);
	}
	if (ev) {
		rd_kafka_event_destroy(ev);
	}
	if (opts) {
		rd_kafka_AdminOptions_destroy(opts);
	}
	if (q) {
		rd_kafka_queue_destroy(q);
	}
	for (a = 0; a < ntopics; a++) {
		rd_kafka_NewTopic_destroy(nt[a]);
	}
	if (rk) {
		rd_kafka_destroy(rk);
	}
	if (conf) {
		rd_kafka_conf_destroy(conf);
	}
	return rc;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "ports")) {
		return ports(atoi(argv[2]));
	}
	if (argc >= 4 && !strcmp(argv[1], "create")) {
		return create(argc - 2, argv + 2);
	}
	return usage();
}
