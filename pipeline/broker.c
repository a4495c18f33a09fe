/*
 * broker: embedded mock cluster setup, topic creation and fault injection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "feedsense/broker.h"
#include "feedsense/log.h"

struct fs_broker {
	rd_kafka_t *rk; /* the handle that owns the mock cluster's thread */
	rd_kafka_mock_cluster_t *mcluster;
	char *bootstraps;
	/* bootstrap relay (fs_broker_listen) */
	int lfd;
	int relay_stop;
	pthread_t relay_th;
	int relay_started;
	char listen_addr[32];
	struct sockaddr_in target;
};

/* Relay one connection until either side closes. */
static void *relay_conn(void *arg)
{
	int *fds = arg, a = fds[0], b = fds[1];
	char buf[65536];

	free(fds);
	for (;;) {
		struct pollfd p[2] = {{a, POLLIN, 0}, {b, POLLIN, 0}};
		int i;
		if (poll(p, 2, 1000) < 0 && errno != EINTR) {
			break;
		}
		for (i = 0; i < 2; i++) {
			if (p[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				ssize_t n = read(i ? b : a, buf, sizeof(buf)), off = 0;
				if (n <= 0) {
					goto out;
				}
				while (off < n) {
					ssize_t w = write(i ? a : b, buf + off, (size_t)(n - off));
					if (w <= 0) {
						goto out;
					}
					off += w;
				}
			}
		}
	}
out:
	close(a);
	close(b);
	return NULL;
}

static void *relay_main(void *arg)
{
	fs_broker_t *broker = arg;

	while (!broker->relay_stop) {
		struct pollfd p = {broker->lfd, POLLIN, 0};
		int c, t, *fds;
		pthread_t th;
		if (poll(&p, 1, 200) <= 0) {
			continue;
		}
		c = accept(broker->lfd, NULL, NULL);
		if (c < 0) {
			continue;
		}
		t = socket(AF_INET, SOCK_STREAM, 0);
		if (t < 0 || connect(t, (struct sockaddr *)&broker->target, sizeof(broker->target)) != 0) {
			if (t >= 0) {
				close(t);
			}
			close(c);
			continue;
		}
		fds = malloc(2 * sizeof(int));
		if (!fds) {
			close(c);
			close(t);
			continue;
		}
		fds[0] = c;
		fds[1] = t;
		if (pthread_create(&th, NULL, relay_conn, fds) != 0) {
			close(c);
			close(t);
			free(fds);
			continue;
		}
		pthread_detach(th);
	}
	return NULL;
}

fs_err_t fs_broker_listen(fs_broker_t *broker, int port, char *errstr, size_t errstr_size)
{
	struct sockaddr_in sin;
	const char *colon = strrchr(broker->bootstraps, ':');
	int one = 1;

	memset(&broker->target, 0, sizeof(broker->target));
	broker->target.sin_family = AF_INET;
	broker->target.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	broker->target.sin_port = htons((uint16_t)atoi(colon ? colon + 1 : "0"));
	broker->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (broker->lfd < 0) {
		return fs_seterr(errstr, errstr_size, FS_ERR_IO, "socket: %s", strerror(errno));
	}
	setsockopt(broker->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons((uint16_t)port);
	if (bind(broker->lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(broker->lfd, 64) != 0) {
		int e = errno;
		close(broker->lfd);
		broker->lfd = -1;
		return fs_seterr(errstr, errstr_size, FS_ERR_IO, "cannot listen on 127.0.0.1:%d: %s", port,
				 strerror(e));
	}
	snprintf(broker->listen_addr, sizeof(broker->listen_addr), "127.0.0.1:%d", port);
	if (pthread_create(&broker->relay_th, NULL, relay_main, broker) != 0) {
		close(broker->lfd);
		broker->lfd = -1;
		return fs_seterr(errstr, errstr_size, FS_ERR_IO, "cannot start the bootstrap relay");
	}
	broker->relay_started = 1;
	return FS_OK;
}

const char *fs_broker_listen_address(const fs_broker_t *broker)
{
	return broker->listen_addr[0] ? broker->listen_addr : NULL;
}

void fs_broker_destroy(fs_broker_t *broker)
{
	if (!broker) {
		return;
	}
	if (broker->relay_started) {
		broker->relay_stop = 1;
		pthread_join(broker->relay_th, NULL);
	}
	if (broker->lfd > 0) {
		close(broker->lfd);
	}
	if (broker->mcluster) {
		rd_kafka_mock_cluster_destroy(broker->mcluster);
	}
	if (broker->rk) {
		rd_kafka_destroy(broker->rk);
	}
	free(broker->bootstraps);
	free(broker);
}

const char *fs_broker_bootstraps(const fs_broker_t *broker)
{
	return broker->bootstraps;
}

static fs_err_t create_topic(fs_broker_t *broker, const char *name, int partitions, char *errstr, size_t errstr_size)
{
	rd_kafka_resp_err_t err;

	if (!*name || partitions < 1 || partitions > 10000) {
		return fs_seterr(errstr, errstr_size, FS_ERR_ARG, "bad topic '%s' with %d partitions", name,
				 partitions);
	}
	err = rd_kafka_mock_topic_create(broker->mcluster, name, partitions, 1);
	if (err) {
		return fs_seterr(errstr, errstr_size, FS_ERR_KAFKA, "cannot create topic %s: %s", name,
				 rd_kafka_err2str(err));
	}
	return FS_OK;
}

fs_err_t fs_broker_new(int nbrokers, const char *topics, int default_partitions, fs_broker_t **brokerp, char *errstr,
		       size_t errstr_size)
{
	fs_broker_t *broker = calloc(1, sizeof(*broker));
	rd_kafka_conf_t *conf;
	char es[512], *list = NULL, *tok, *save = NULL;
	fs_err_t err;

	*brokerp = NULL;
	if (!broker) {
		return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "out of memory");
	}
	broker->lfd = -1;
	conf = rd_kafka_conf_new();
	rd_kafka_conf_set_log_cb(conf,
				 (void (*)(const rd_kafka_t *, int, const char *, const char *))fs_log_rdkafka_cb);
	rd_kafka_conf_set(conf, "client.id", "feedsense-broker", es, sizeof(es));
	broker->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, es, sizeof(es));
	if (!broker->rk) {
		rd_kafka_conf_destroy(conf);
		err = fs_seterr(errstr, errstr_size, FS_ERR_KAFKA, "cannot start the embedded broker: %s", es);
		goto fail;
	}
	broker->mcluster = rd_kafka_mock_cluster_new(broker->rk, nbrokers);
	if (!broker->mcluster) {
		err = fs_seterr(errstr, errstr_size, FS_ERR_KAFKA, "cannot start the embedded broker");
		goto fail;
	}
	broker->bootstraps = strdup(rd_kafka_mock_cluster_bootstraps(broker->mcluster));
	list = strdup(topics ? topics : FS_BROKER_DEFAULT_TOPICS);
	if (!broker->bootstraps || !list) {
		err = fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *colon;
		int parts = default_partitions;
		while (*tok == ' ') {
			tok++;
		}
		colon = strchr(tok, ':');
		if (colon) {
			char *end;
			*colon = '\0';
			parts = (int)strtol(colon + 1, &end, 10);
			if (end == colon + 1 || *end) {
				err = fs_seterr(errstr, errstr_size, FS_ERR_ARG, "bad partition count in '%s:%s'", tok,
						colon + 1);
				goto fail;
			}
		}
		if ((err = create_topic(broker, tok, parts, errstr, errstr_size)) != FS_OK) {
			goto fail;
		}
	}
	free(list);
	*brokerp = broker;
	return FS_OK;
fail:
	free(list);
	fs_broker_destroy(broker);
	return err;
}

static int16_t api_key(const char *name)
{
	static const struct {
		const char *name;
		int16_t key;
	} apis[] = {
	    {"Produce", 0},
	    {"Fetch", 1},
	    {"ListOffsets", 2},
	    {"Metadata", 3},
	    {"OffsetCommit", 8},
	    {"OffsetFetch", 9},
	    {"FindCoordinator", 10},
	    {"JoinGroup", 11},
	    {"Heartbeat", 12},
	    {"LeaveGroup", 13},
	    {"SyncGroup", 14},
	    {"InitProducerId", 22},
	    {"AddPartitionsToTxn", 24},
	    {"AddOffsetsToTxn", 25},
	    {"EndTxn", 26},
	    {"TxnOffsetCommit", 28},
	};
	size_t i;
	for (i = 0; i < sizeof(apis) / sizeof(apis[0]); i++) {
		if (!strcmp(apis[i].name, name)) {
			return apis[i].key;
		}
	}
	return -1;
}

static rd_kafka_resp_err_t err_by_name(const char *name)
{
	const struct rd_kafka_err_desc *descs;
	size_t n, i;

	rd_kafka_get_err_descs(&descs, &n);
	for (i = 0; i < n; i++) {
		if (descs[i].name && !strcmp(descs[i].name, name)) {
			return descs[i].code;
		}
	}
	return RD_KAFKA_RESP_ERR_NO_ERROR;
}

fs_err_t fs_broker_control(fs_broker_t *broker, const char *cmd, char *errstr, size_t errstr_size)
{
	char verb[32], a[128], c[128];
	long b = 0;
	int n = sscanf(cmd, "%31s %127s %ld %127s", verb, a, &b, c);

	if (n < 1) {
		return fs_seterr(errstr, errstr_size, FS_ERR_ARG, "empty command");
	}
	if ((!strcmp(verb, "down") || !strcmp(verb, "up")) && n >= 2) {
		int32_t id = (int32_t)atoi(a);
		rd_kafka_resp_err_t e = !strcmp(verb, "down") ? rd_kafka_mock_broker_set_down(broker->mcluster, id)
							      : rd_kafka_mock_broker_set_up(broker->mcluster, id);
		return e ? fs_seterr(errstr, errstr_size, FS_ERR_ARG, "%s", rd_kafka_err2str(e)) : FS_OK;
	}
	if (!strcmp(verb, "rtt") && n >= 3) {
		rd_kafka_resp_err_t e = rd_kafka_mock_broker_set_rtt(broker->mcluster, (int32_t)atoi(a), (int)b);
		return e ? fs_seterr(errstr, errstr_size, FS_ERR_ARG, "%s", rd_kafka_err2str(e)) : FS_OK;
	}
	if (!strcmp(verb, "errors") && n == 4) {
		int16_t key = api_key(a);
		rd_kafka_resp_err_t e = err_by_name(c);
		rd_kafka_resp_err_t *errs;
		long i;
		if (key < 0 || !e || b < 1 || b > 100000) {
			return fs_seterr(errstr, errstr_size, FS_ERR_ARG, "usage: errors API COUNT ERROR_NAME");
		}
		errs = malloc((size_t)b * sizeof(*errs));
		if (!errs) {
			return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "out of memory");
		}
		for (i = 0; i < b; i++) {
			errs[i] = e;
		}
		rd_kafka_mock_push_request_errors_array(broker->mcluster, key, (size_t)b, errs);
		free(errs);
		return FS_OK;
	}
	if (!strcmp(verb, "create") && n >= 3) {
		return create_topic(broker, a, (int)b, errstr, errstr_size);
	}
	return fs_seterr(errstr, errstr_size, FS_ERR_ARG,
			 "unknown command '%s' (down ID, up ID, rtt ID MS, errors API COUNT ERROR, create TOPIC N)",
			 cmd);
}
