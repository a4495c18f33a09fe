/*
 * client: `feedsense produce` and `feedsense watch`.
 */
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "feedsense/buf.h"
#include "feedsense/client.h"
#include "feedsense/clock.h"
#include "feedsense/log.h"

static rd_kafka_conf_t *base_conf(const char *brokers, const char *const *props, size_t nprops)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char es[512];
	size_t i;

	rd_kafka_conf_set_log_cb(conf,
				 (void (*)(const rd_kafka_t *, int, const char *, const char *))fs_log_rdkafka_cb);
	if (rd_kafka_conf_set(conf, "bootstrap.servers", brokers, es, sizeof(es)) != RD_KAFKA_CONF_OK) {
		fs_log(FS_LOG_ERROR, "client", "%s", es);
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	for (i = 0; i < nprops; i++) {
		char *name = strdup(props[i]), *eq = strchr(name, '=');
		if (!eq) {
			fs_log(FS_LOG_ERROR, "client", "-X %s: expected name=value", props[i]);
			free(name);
			rd_kafka_conf_destroy(conf);
			return NULL;
		}
		*eq = '\0';
		if (rd_kafka_conf_set(conf, name, eq + 1, es, sizeof(es)) != RD_KAFKA_CONF_OK) {
			fs_log(FS_LOG_ERROR, "client", "-X %s: %s", name, es);
			free(name);
			rd_kafka_conf_destroy(conf);
			return NULL;
		}
		free(name);
	}
	return conf;
}

static atomic_ulong delivered, failed;

static void produce_dr(rd_kafka_t *rk, const rd_kafka_message_t *rkm, void *opaque)
{
	(void)rk;
	(void)opaque;
	if (rkm->err) {
		atomic_fetch_add(&failed, 1);
		fs_log(FS_LOG_WARN, "produce", "delivery failed: %s", rd_kafka_err2str(rkm->err));
	} else {
		atomic_fetch_add(&delivered, 1);
	}
}

static int gzip_buf(const char *p, size_t len, fs_buf_t *out)
{
	z_stream zs;
	int rc;

	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
		return -1;
	}
	fs_buf_reset(out);
	if (fs_buf_reserve(out, deflateBound(&zs, len) + 32) != FS_OK) {
		deflateEnd(&zs);
		return -1;
	}
	zs.next_in = (Bytef *)p;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)out->p;
	zs.avail_out = (uInt)out->cap;
	rc = deflate(&zs, Z_FINISH);
	out->len = zs.total_out;
	deflateEnd(&zs);
	return rc == Z_STREAM_END ? 0 : -1;
}

int fs_client_produce(const fs_produce_opts_t *opts, const char *const *files, size_t nfiles,
		      volatile sig_atomic_t *stop)
{
	rd_kafka_conf_t *conf = base_conf(opts->brokers, opts->props, opts->nprops);
	rd_kafka_t *rk;
	char es[512], *line = NULL;
	size_t cap = 0, f;
	long sent = 0;
	double t0 = fs_mono_s(), last = t0;
	fs_buf_t gz = FS_BUF_INIT;
	int status = 0;

	if (!conf) {
		return 2;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, produce_dr);
	rd_kafka_conf_set(conf, "linger.ms", "5", es, sizeof(es));
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, es, sizeof(es));
	if (!rk) {
		fs_log(FS_LOG_ERROR, "produce", "%s", es);
		rd_kafka_conf_destroy(conf);
		return 2;
	}
	do {
		for (f = 0; f < (nfiles ? nfiles : 1) && !*stop; f++) {
			FILE *fp = nfiles && strcmp(files[f], "-") ? fopen(files[f], "r") : stdin;
			ssize_t n;
			if (!fp) {
				fs_log(FS_LOG_ERROR, "produce", "%s: cannot open", files[f]);
				status = 2;
				goto done;
			}
			while (!*stop && (n = getline(&line, &cap, fp)) > 0) {
				const char *payload = line;
				size_t len = (size_t)n, klen = 0;
				const char *key = NULL;
				json_t *o = NULL;
				rd_kafka_resp_err_t err;

				if (line[len - 1] == '\n') {
					len--;
				}
				if (!len) {
					continue;
				}
				if (opts->key_field) {
					o = json_loadb(line, len, 0, NULL);
					key = o ? json_string_value(json_object_get(o, opts->key_field)) : NULL;
					klen = key ? strlen(key) : 0;
				}
				if (opts->gzip && gzip_buf(line, len, &gz) == 0) {
					payload = gz.p;
					len = gz.len;
				}
				do {
					err = rd_kafka_producev(
					    rk, RD_KAFKA_V_TOPIC(opts->topic), RD_KAFKA_V_KEY(key, klen),
					    RD_KAFKA_V_VALUE((void *)payload, len),
					    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
					if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
						rd_kafka_poll(rk, 10);
					}
				} while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL);
				json_decref(o);
				if (err) {
					fs_log(FS_LOG_ERROR, "produce", "%s", rd_kafka_err2str(err));
					status = 1;
					break;
				}
				sent++;
				rd_kafka_poll(rk, 0);
				if (opts->rate > 0) {
					double due = t0 + (double)sent / opts->rate, t = fs_mono_s();
					if (due > t) {
						usleep((useconds_t)((due - t) * 1e6));
					}
				}
				if (fs_mono_s() - last >= 5.0) {
					last = fs_mono_s();
					fs_log(FS_LOG_INFO, "produce", "%ld messages sent, %lu delivered", sent,
					       atomic_load(&delivered));
				}
				if (opts->limit && sent >= opts->limit) {
					break;
				}
			}
			if (fp != stdin) {
				fclose(fp);
			}
			if (opts->limit && sent >= opts->limit) {
				break;
			}
		}
	} while (opts->loop && !*stop && !(opts->limit && sent >= opts->limit));
done:
	rd_kafka_flush(rk, 30000);
	if (rd_kafka_outq_len(rk) > 0 || atomic_load(&failed)) {
		fs_log(FS_LOG_ERROR, "produce", "%lu messages not delivered",
		       atomic_load(&failed) + (unsigned long)rd_kafka_outq_len(rk));
		status = status ? status : 1;
	}
	fs_log(FS_LOG_INFO, "produce", "%ld messages sent, %lu delivered in %.1f s", sent, atomic_load(&delivered),
	       fs_mono_s() - t0);
	rd_kafka_destroy(rk);
	free(line);
	fs_buf_free(&gz);
	return status;
}

/* The string value of @p o's member @p name, or "?". */
static const char *str_of(json_t *o, const char *name)
{
	const char *v = json_string_value(json_object_get(o, name));
	return v ? v : "?";
}

/* One readable line for a window alert (feedsense.alert.v1); 0 if @p o is not one. */
static int print_window_alert(json_t *o, const char *topic, int color)
{
	const char *schema = json_string_value(json_object_get(o, "schema"));
	const char *type = json_string_value(json_object_get(o, "type"));
	json_t *key = json_object_get(o, "key"), *win = json_object_get(o, "window");
	json_t *counts = json_object_get(o, "counts");
	const char *value = json_string_value(json_object_get(key, "value"));
	const char *on = !color ? "" : type && strcmp(type, "spike") == 0 ? "\033[1;31m" : "\033[1;32m";

	if (!schema || strcmp(schema, "feedsense.alert.v1") != 0 || !type) {
		return 0;
	}
	printf("%s%-8s%s %.2f %-16s %s%s%s %" JSON_INTEGER_FORMAT "/%" JSON_INTEGER_FORMAT
	       " negative, %s .. %s, incident %s\n",
	       on, type, color ? "\033[0m" : "", json_number_value(json_object_get(o, "negative_share")), topic,
	       str_of(key, "kind"), value ? ":" : "", value ? value : "",
	       json_integer_value(json_object_get(counts, "negative")),
	       json_integer_value(json_object_get(counts, "total")), str_of(win, "start"), str_of(win, "end"),
	       str_of(o, "incident_id"));
	fflush(stdout);
	return 1;
}

/* One readable line for a scored event. */
static void print_event(const rd_kafka_message_t *m, int color)
{
	const char *topic = rd_kafka_topic_name(m->rkt);
	json_t *o = json_loadb(m->payload, m->len, 0, NULL), *sent, *cats, *c, *flags, *f;
	const char *label, *text, *id;
	double compound;
	size_t i;
	fs_buf_t line = FS_BUF_INIT;

	if (!o) {
		rd_kafka_headers_t *h = NULL;
		const void *v = NULL;
		size_t vs = 0;
		fs_buf_printf(&line, "%s[%s]%s ", color ? "\033[35m" : "", topic, color ? "\033[0m" : "");
		if (!rd_kafka_message_headers(m, &h) &&
		    !rd_kafka_header_get_last(h, "feedsense.error.class", &v, &vs)) {
			fs_buf_printf(&line, "%.*s: ", (int)vs, (const char *)v);
		}
		if (h && !rd_kafka_header_get_last(h, "feedsense.error.message", &v, &vs)) {
			fs_buf_printf(&line, "%.*s", (int)vs, (const char *)v);
		}
		printf("%s\n", line.p ? line.p : "");
		fs_buf_free(&line);
		return;
	}
	if (print_window_alert(o, topic, color)) {
		json_decref(o);
		return;
	}
	sent = json_object_get(o, "sentiment");
	label = json_string_value(json_object_get(sent, "label"));
	compound = json_number_value(json_object_get(sent, "compound"));
	text = json_string_value(json_object_get(o, "text"));
	id = json_string_value(json_object_get(o, "id"));
	if (color) {
		fs_buf_puts(&line, !label                       ? ""
				   : !strcmp(label, "negative") ? "\033[31m"
				   : !strcmp(label, "positive") ? "\033[32m"
								: "\033[33m");
	}
	fs_buf_printf(&line, "%-8s %+.2f", label ? label : "?", compound);
	if (color) {
		fs_buf_puts(&line, "\033[0m");
	}
	fs_buf_printf(&line, " %-16s %-10s", topic, id ? id : "-");
	cats = json_object_get(o, "categories");
	json_array_foreach(cats, i, c)
	{
		fs_buf_printf(&line, "%s%s(%+.2f)", i ? "," : " ", json_string_value(json_object_get(c, "name")),
			      json_number_value(json_object_get(json_object_get(c, "sentiment"), "compound")));
	}
	flags = json_object_get(o, "flags");
	json_array_foreach(flags, i, f)
	{
		fs_buf_printf(&line, " %s!%s%s", color ? "\033[1m" : "", json_string_value(f), color ? "\033[0m" : "");
	}
	if (text) {
		size_t n = strlen(text);
		fs_buf_printf(&line, " | %.*s%s", (int)(n > 100 ? 100 : n), text, n > 100 ? "..." : "");
	}
	printf("%s\n", line.p);
	fflush(stdout);
	fs_buf_free(&line);
	json_decref(o);
}

int fs_client_watch(const fs_watch_opts_t *opts, volatile sig_atomic_t *stop)
{
	rd_kafka_conf_t *conf = base_conf(opts->brokers, opts->props, opts->nprops);
	rd_kafka_topic_partition_list_t *topics;
	rd_kafka_t *rk;
	char es[512], group[64], *list, *tok, *save = NULL;
	long seen = 0;
	int assigned = 0;
	double last_msg = fs_mono_s();

	if (!conf) {
		return 2;
	}
	if (!opts->group) {
		snprintf(group, sizeof(group), "feedsense-watch-%d-%ld", (int)getpid(), (long)time(NULL));
	}
	rd_kafka_conf_set(conf, "group.id", opts->group ? opts->group : group, es, sizeof(es));
	rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", es, sizeof(es));
	rd_kafka_conf_set(conf, "enable.partition.eof", "false", es, sizeof(es));
	rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, es, sizeof(es));
	if (!rk) {
		fs_log(FS_LOG_ERROR, "watch", "%s", es);
		rd_kafka_conf_destroy(conf);
		return 2;
	}
	rd_kafka_poll_set_consumer(rk);
	topics = rd_kafka_topic_partition_list_new(4);
	list = strdup(opts->topics);
	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		rd_kafka_topic_partition_list_add(topics, tok, RD_KAFKA_PARTITION_UA);
	}
	free(list);
	rd_kafka_subscribe(rk, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	while (!*stop) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
		if (!assigned) {
			/* the idle clock starts once the group has given us partitions */
			rd_kafka_topic_partition_list_t *a = NULL;
			if (!rd_kafka_assignment(rk, &a) && a) {
				if (a->cnt) {
					assigned = 1;
					last_msg = fs_mono_s();
				}
				rd_kafka_topic_partition_list_destroy(a);
			}
		}
		if (!m) {
			if (opts->idle_timeout > 0 && fs_mono_s() - last_msg > opts->idle_timeout &&
			    (assigned || fs_mono_s() - last_msg > opts->idle_timeout + 30)) {
				break;
			}
			continue;
		}
		if (m->err) {
			if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
				fs_log(FS_LOG_WARN, "watch", "%s", rd_kafka_message_errstr(m));
			}
			rd_kafka_message_destroy(m);
			continue;
		}
		last_msg = fs_mono_s();
		if (opts->raw) {
			fwrite(m->payload, 1, m->len, stdout);
			fputc('\n', stdout);
		} else {
			print_event(m, opts->color);
		}
		rd_kafka_message_destroy(m);
		if (opts->count && ++seen >= opts->count) {
			break;
		}
	}
	fflush(stdout);
	rd_kafka_consumer_close(rk);
	rd_kafka_destroy(rk);
	return 0;
}
