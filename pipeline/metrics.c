/*
 * metrics: the metric registry and its Prometheus text rendering, the HTTP
 * server of /metrics, /healthz and /readyz (libmicrohttpd), and the
 * pipeline's feedsense_* metrics with the health and readiness rules.
 * See metrics.h for the layers.
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "feedsense/clock.h"
#include "feedsense/config.h"
#include "feedsense/log.h"
#include "feedsense/metrics.h"
#include "feedsense/score.h"
#include "feedsense/version.h"

#define MOD            "metrics"
#define DYN_MAX_LABELS 4

/* ------------------------------------------------------------------ */
/* registry                                                            */

struct fs_metric {
	struct fs_metric *next;
	fs_metric_type_t type;
	char *name, *help;
	/* counters and gauges: n series, one optional fixed label */
	char *label;
	char **values;
	size_t n;
	atomic_llong *v;
	/* histograms: nb bounds, nb + 1 buckets (the last is +Inf), the sum as double bits */
	double *bounds;
	size_t nb;
	atomic_ullong *buckets;
	atomic_ullong sum;
	/* dynamic gauges: series replaced as a whole under mu */
	int dynamic;
	char *labels[DYN_MAX_LABELS];
	size_t nlabels;
	pthread_mutex_t mu;
	char **dvalues; /* dn * nlabels strings */
	int64_t *dv;
	size_t dn;
};

struct fs_metrics_registry {
	fs_metric_t *head, **tail;
	void (*collect)(void *opaque);
	void *opaque;
};

static int valid_name(const char *s)
{
	const char *p;

	if (!s || !*s || (*s >= '0' && *s <= '9')) {
		return 0;
	}
	for (p = s; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_' ||
		      *p == ':')) {
			return 0;
		}
	}
	return 1;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && !strcmp(s + n - k, suffix);
}

fs_metrics_registry_t *fs_metrics_registry_new(void)
{
	fs_metrics_registry_t *reg = calloc(1, sizeof(*reg));

	if (reg) {
		reg->tail = &reg->head;
	}
	return reg;
}

static void dyn_clear(fs_metric_t *m)
{
	size_t i;

	for (i = 0; i < m->dn * m->nlabels; i++) {
		free(m->dvalues[i]);
	}
	free(m->dvalues);
	free(m->dv);
	m->dvalues = NULL;
	m->dv = NULL;
	m->dn = 0;
}

static void metric_free(fs_metric_t *m)
{
	size_t i;

	if (!m) {
		return;
	}
	free(m->name);
	free(m->help);
	free(m->label);
	for (i = 0; m->values && i < m->n; i++) {
		free(m->values[i]);
	}
	free(m->values);
	free(m->v);
	free(m->bounds);
	free(m->buckets);
	if (m->dynamic) {
		dyn_clear(m);
		for (i = 0; i < m->nlabels; i++) {
			free(m->labels[i]);
		}
		pthread_mutex_destroy(&m->mu);
	}
	free(m);
}

void fs_metrics_registry_destroy(fs_metrics_registry_t *reg)
{
	fs_metric_t *m, *next;

	if (!reg) {
		return;
	}
	for (m = reg->head; m; m = next) {
		next = m->next;
		metric_free(m);
	}
	free(reg);
}

/* A new family with its name and help, not yet linked; NULL on a bad or duplicate name. */
static fs_metric_t *metric_new(fs_metrics_registry_t *reg, fs_metric_type_t type, const char *name, const char *help)
{
	fs_metric_t *m;

	if (!reg || !valid_name(name) || (type == FS_METRIC_COUNTER && !ends_with(name, "_total"))) {
		return NULL;
	}
	for (m = reg->head; m; m = m->next) {
		if (!strcmp(m->name, name)) {
			return NULL;
		}
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		return NULL;
	}
	m->type = type;
	m->name = strdup(name);
	m->help = strdup(help ? help : "");
	if (!m->name || !m->help) {
		metric_free(m);
		return NULL;
	}
	return m;
}

static fs_metric_t *link_metric(fs_metrics_registry_t *reg, fs_metric_t *m)
{
	*reg->tail = m;
	reg->tail = &m->next;
	return m;
}

fs_metric_t *fs_metrics_family(fs_metrics_registry_t *reg, fs_metric_type_t type, const char *name, const char *help,
			       const char *label, const char *const *values, size_t nvalues)
{
	fs_metric_t *m;
	size_t i;

	if (type == FS_METRIC_HISTOGRAM || (label && (!valid_name(label) || !strncmp(label, "__", 2))) ||
	    (label && nvalues && !values)) {
		return NULL;
	}
	m = metric_new(reg, type, name, help);
	if (!m) {
		return NULL;
	}
	m->n = label ? nvalues : 1;
	m->v = calloc(m->n ? m->n : 1, sizeof(*m->v));
	if (!m->v) {
		goto fail;
	}
	for (i = 0; i < m->n; i++) {
		atomic_init(&m->v[i], 0);
	}
	if (label) {
		m->label = strdup(label);
		m->values = calloc(m->n ? m->n : 1, sizeof(*m->values));
		if (!m->label || !m->values) {
			goto fail;
		}
		for (i = 0; i < m->n; i++) {
			m->values[i] = strdup(values[i] ? values[i] : "");
			if (!m->values[i]) {
				goto fail;
			}
		}
	}
	return link_metric(reg, m);

fail:
	metric_free(m);
	return NULL;
}

fs_metric_t *fs_metrics_histogram(fs_metrics_registry_t *reg, const char *name, const char *help, const double *bounds,
				  size_t nbounds)
{
	fs_metric_t *m;
	size_t i;

	for (i = 1; i < nbounds; i++) {
		if (!(bounds[i] > bounds[i - 1])) {
			return NULL;
		}
	}
	if (ends_with(name ? name : "", "_bucket") || ends_with(name ? name : "", "_sum") ||
	    ends_with(name ? name : "", "_count")) {
		return NULL;
	}
	m = metric_new(reg, FS_METRIC_HISTOGRAM, name, help);
	if (!m) {
		return NULL;
	}
	m->nb = nbounds;
	m->bounds = malloc((nbounds ? nbounds : 1) * sizeof(double));
	m->buckets = calloc(nbounds + 1, sizeof(*m->buckets));
	if (!m->bounds || !m->buckets) {
		metric_free(m);
		return NULL;
	}
	if (nbounds) {
		memcpy(m->bounds, bounds, nbounds * sizeof(double));
	}
	for (i = 0; i <= nbounds; i++) {
		atomic_init(&m->buckets[i], 0);
	}
	atomic_init(&m->sum, 0); /* the bits of 0.0 */
	return link_metric(reg, m);
}

fs_metric_t *fs_metrics_dynamic(fs_metrics_registry_t *reg, const char *name, const char *help,
				const char *const *labels, size_t nlabels)
{
	fs_metric_t *m;
	size_t i;

	if (nlabels == 0 || nlabels > DYN_MAX_LABELS) {
		return NULL;
	}
	for (i = 0; i < nlabels; i++) {
		if (!valid_name(labels[i]) || !strncmp(labels[i], "__", 2)) {
			return NULL;
		}
	}
	m = metric_new(reg, FS_METRIC_GAUGE, name, help);
	if (!m) {
		return NULL;
	}
	m->dynamic = 1;
	pthread_mutex_init(&m->mu, NULL);
	for (i = 0; i < nlabels; i++) {
		m->labels[i] = strdup(labels[i]);
		m->nlabels++;
		if (!m->labels[i]) {
			metric_free(m);
			return NULL;
		}
	}
	return link_metric(reg, m);
}

void fs_metrics_add(fs_metric_t *m, size_t i, int64_t n)
{
	if (m && m->v && i < m->n) {
		atomic_fetch_add_explicit(&m->v[i], n, memory_order_relaxed);
	}
}

void fs_metrics_set(fs_metric_t *m, size_t i, int64_t v)
{
	if (m && m->v && i < m->n) {
		atomic_store_explicit(&m->v[i], v, memory_order_relaxed);
	}
}

int64_t fs_metrics_value(const fs_metric_t *m, size_t i)
{
	if (m && m->v && i < m->n) {
		return atomic_load_explicit(&((fs_metric_t *)m)->v[i], memory_order_relaxed);
	}
	return 0;
}

static double bits2d(uint64_t u)
{
	double d;
	memcpy(&d, &u, sizeof(d));
	return d;
}

static uint64_t d2bits(double d)
{
	uint64_t u;
	memcpy(&u, &d, sizeof(u));
	return u;
}

void fs_metrics_observe(fs_metric_t *m, double v)
{
	size_t b = 0;
	unsigned long long old, nw; /* the type of atomic_ullong, for the compare-exchange */

	if (!m || m->type != FS_METRIC_HISTOGRAM) {
		return;
	}
	while (b < m->nb && v > m->bounds[b]) {
		b++;
	}
	atomic_fetch_add_explicit(&m->buckets[b], 1, memory_order_relaxed);
	old = atomic_load_explicit(&m->sum, memory_order_relaxed);
	do {
		nw = d2bits(bits2d(old) + v);
	} while (!atomic_compare_exchange_weak_explicit(&m->sum, &old, nw, memory_order_relaxed, memory_order_relaxed));
}

void fs_metrics_histogram_get(const fs_metric_t *m, uint64_t *count, double *sum)
{
	fs_metric_t *mm = (fs_metric_t *)m;
	size_t b;

	*count = 0;
	*sum = 0;
	if (!m || m->type != FS_METRIC_HISTOGRAM) {
		return;
	}
	for (b = 0; b <= m->nb; b++) {
		*count += atomic_load_explicit(&mm->buckets[b], memory_order_relaxed);
	}
	*sum = bits2d(atomic_load_explicit(&mm->sum, memory_order_relaxed));
}

fs_err_t fs_metrics_replace(fs_metric_t *m, size_t n, const char *const *values, const int64_t *v)
{
	char **dvalues = NULL;
	int64_t *dv = NULL;
	size_t i, k;

	if (!m || !m->dynamic) {
		return FS_ERR_ARG;
	}
	k = n * m->nlabels;
	if (n) {
		dvalues = calloc(k, sizeof(*dvalues));
		dv = malloc(n * sizeof(*dv));
		if (!dvalues || !dv) {
			goto fail;
		}
		for (i = 0; i < k; i++) {
			dvalues[i] = strdup(values[i] ? values[i] : "");
			if (!dvalues[i]) {
				goto fail;
			}
		}
		memcpy(dv, v, n * sizeof(*dv));
	}
	pthread_mutex_lock(&m->mu);
	dyn_clear(m);
	m->dvalues = dvalues;
	m->dv = dv;
	m->dn = n;
	pthread_mutex_unlock(&m->mu);
	return FS_OK;

fail:
	for (i = 0; dvalues && i < k; i++) {
		free(dvalues[i]);
	}
	free(dvalues);
	free(dv);
	pthread_mutex_lock(&m->mu);
	dyn_clear(m);
	pthread_mutex_unlock(&m->mu);
	return FS_ERR_NOMEM;
}

void fs_metrics_on_collect(fs_metrics_registry_t *reg, void (*collect)(void *opaque), void *opaque)
{
	reg->collect = collect;
	reg->opaque = opaque;
}

/* ------------------------------------------------------------------ */
/* exposition format                                                   */

void fs_metrics_escape_label(fs_buf_t *out, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '\\': fs_buf_puts(out, "\\\\"); break;
		case '"': fs_buf_puts(out, "\\\""); break;
		case '\n': fs_buf_puts(out, "\\n"); break;
		default: fs_buf_putc(out, *s);
		}
	}
}

/* HELP text escapes only backslash and newline. */
static void escape_help(fs_buf_t *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\') {
			fs_buf_puts(out, "\\\\");
		} else if (*s == '\n') {
			fs_buf_puts(out, "\\n");
		} else {
			fs_buf_putc(out, *s);
		}
	}
}

/* A float as Prometheus reads it: shortest round-trip form, or +Inf/-Inf/NaN. */
static void put_float(fs_buf_t *out, double d)
{
	char num[40];
	int prec;

	if (d != d) {
		fs_buf_puts(out, "NaN");
		return;
	}
	if (d > 1.7976931348623157e308 || d < -1.7976931348623157e308) {
		fs_buf_puts(out, d > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (prec = 6; prec <= 17; prec++) {
		snprintf(num, sizeof(num), "%.*g", prec, d);
		if (strtod(num, NULL) == d) {
			break;
		}
	}
	fs_buf_puts(out, num);
}

static void render_family(fs_metric_t *m, fs_buf_t *out)
{
	static const char *const types[] = {"counter", "gauge", "histogram"};
	size_t i, j;

	fs_buf_printf(out, "# HELP %s ", m->name);
	escape_help(out, m->help);
	fs_buf_printf(out, "\n# TYPE %s %s\n", m->name, types[m->type]);
	if (m->type == FS_METRIC_HISTOGRAM) {
		uint64_t cum = 0;
		double sum = bits2d(atomic_load_explicit(&m->sum, memory_order_relaxed));
		for (i = 0; i <= m->nb; i++) {
			cum += atomic_load_explicit(&m->buckets[i], memory_order_relaxed);
			fs_buf_printf(out, "%s_bucket{le=\"", m->name);
			if (i < m->nb) {
				put_float(out, m->bounds[i]);
			} else {
				fs_buf_puts(out, "+Inf");
			}
			fs_buf_printf(out, "\"} %" PRIu64 "\n", cum);
		}
		fs_buf_printf(out, "%s_sum ", m->name);
		put_float(out, sum);
		/* the count is the +Inf bucket, so the two always agree */
		fs_buf_printf(out, "\n%s_count %" PRIu64 "\n", m->name, cum);
		return;
	}
	if (m->dynamic) {
		pthread_mutex_lock(&m->mu);
		for (i = 0; i < m->dn; i++) {
			fs_buf_printf(out, "%s{", m->name);
			for (j = 0; j < m->nlabels; j++) {
				fs_buf_printf(out, "%s%s=\"", j ? "," : "", m->labels[j]);
				fs_metrics_escape_label(out, m->dvalues[i * m->nlabels + j]);
				fs_buf_putc(out, '"');
			}
			fs_buf_printf(out, "} %" PRId64 "\n", m->dv[i]);
		}
		pthread_mutex_unlock(&m->mu);
		return;
	}
	for (i = 0; i < m->n; i++) {
		fs_buf_puts(out, m->name);
		if (m->label) {
			fs_buf_printf(out, "{%s=\"", m->label);
			fs_metrics_escape_label(out, m->values[i]);
			fs_buf_puts(out, "\"}");
		}
		fs_buf_printf(out, " %lld\n", (long long)atomic_load_explicit(&m->v[i], memory_order_relaxed));
	}
}

fs_err_t fs_metrics_render(fs_metrics_registry_t *reg, fs_buf_t *out)
{
	fs_metric_t *m;

	if (reg->collect) {
		reg->collect(reg->opaque);
	}
	for (m = reg->head; m; m = m->next) {
		render_family(m, out);
	}
	return out->oom ? FS_ERR_NOMEM : FS_OK;
}

/* ------------------------------------------------------------------ */
/* HTTP server                                                         */

struct fs_metrics_server {
	struct MHD_Daemon *daemon;
	fs_metrics_registry_t *reg;
	fs_metrics_health_cb health;
	void *opaque;
	char address[80];
	char lasterr[256]; /* libmicrohttpd's last complaint, for the bind error */
};

fs_err_t fs_metrics_parse_listen(const char *listen, char *host, size_t host_size, int *port, char *errstr,
				 size_t errstr_size)
{
	const char *p = listen ? listen : "", *colon, *hs, *he;
	char h[64];
	unsigned char addr[16];
	long v;
	char *end;

	while (*p == ' ' || *p == '\t') {
		p++;
	}
	*port = -1;
	if (!*p || !strcmp(p, "off")) {
		snprintf(host, host_size, "%s", "");
		return FS_OK;
	}
	if (*p == '[') {
		hs = p + 1;
		he = strchr(hs, ']');
		if (!he || he[1] != ':') {
			return fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "\"%s\": expected [IPv6]:PORT", listen);
		}
		colon = he + 1;
	} else {
		colon = strrchr(p, ':');
		if (colon && memchr(p, ':', (size_t)(colon - p))) {
			return fs_seterr(errstr, errstr_size, FS_ERR_PARSE,
					 "\"%s\": write an IPv6 address in brackets, [::1]:9464", listen);
		}
		hs = p;
		he = colon ? colon : p;
	}
	if ((size_t)(he - hs) >= sizeof(h)) {
		return fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "\"%s\": host too long", listen);
	}
	memcpy(h, hs, (size_t)(he - hs));
	h[he - hs] = '\0';
	p = colon ? colon + 1 : p;
	v = strtol(p, &end, 10);
	if (!*p || *end || v < 0 || v > 65535 || *p == '-' || *p == '+') {
		return fs_seterr(errstr, errstr_size, FS_ERR_PARSE,
				 "\"%s\": expected HOST:PORT, [IPv6]:PORT or PORT (0-65535), or off", listen);
	}
	if (!colon) {
		snprintf(h, sizeof(h), "127.0.0.1");
	} else if (!*h) {
		snprintf(h, sizeof(h), "0.0.0.0"); /* ":PORT": every interface */
	} else if (!strcmp(h, "localhost")) {
		snprintf(h, sizeof(h), "127.0.0.1");
	}
	if (inet_pton(AF_INET, h, addr) != 1 && inet_pton(AF_INET6, h, addr) != 1) {
		return fs_seterr(errstr, errstr_size, FS_ERR_PARSE,
				 "\"%s\": the host must be a numeric IP address or localhost", listen);
	}
	snprintf(host, host_size, "%s", h);
	*port = (int)v;
	return FS_OK;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	fs_metrics_server_t *srv = cls;
	size_t n;

	vsnprintf(srv->lasterr, sizeof(srv->lasterr), fmt, ap);
	n = strlen(srv->lasterr);
	while (n && (srv->lasterr[n - 1] == '\n' || srv->lasterr[n - 1] == '\r')) {
		srv->lasterr[--n] = '\0';
	}
}

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, const char *ctype, const char *body,
			       size_t len, int allow)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!resp) {
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (allow) {
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	}
	ret = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
			      const char *version, const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	static const char text[] = "text/plain; charset=utf-8";
	fs_metrics_server_t *srv = cls;
	char why[256], body[300];
	int n;

	(void)version;
	(void)upload_data;
	(void)con_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		*upload_data_size = 0; /* a request body is never read */
		n = snprintf(body, sizeof(body), "method %s not allowed: GET or HEAD\n", method);
		return respond(conn, MHD_HTTP_METHOD_NOT_ALLOWED, text, body, (size_t)n, 1);
	}
	if (!strcmp(url, "/metrics")) {
		fs_buf_t out = FS_BUF_INIT;
		enum MHD_Result ret;
		if (fs_metrics_render(srv->reg, &out) != FS_OK) {
			fs_buf_free(&out);
			return respond(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, text, "out of memory\n", 14, 0);
		}
		ret = respond(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", out.p ? out.p : "",
			      out.len, 0);
		fs_buf_free(&out);
		return ret;
	}
	if (!strcmp(url, "/healthz") || !strcmp(url, "/readyz")) {
		fs_metrics_probe_t probe = url[1] == 'h' ? FS_PROBE_LIVE : FS_PROBE_READY;
		int pass = 1;
		snprintf(why, sizeof(why), "%s", "ok");
		if (srv->health) {
			pass = srv->health(srv->opaque, probe, why, sizeof(why));
		}
		n = snprintf(body, sizeof(body), "%s: %s\n", pass ? "ok" : "not ok", why);
		return respond(conn, pass ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, text, body,
			       (size_t)n < sizeof(body) ? (size_t)n : sizeof(body) - 1, 0);
	}
	n = snprintf(body, sizeof(body), "not found: /metrics, /healthz, /readyz\n");
	return respond(conn, MHD_HTTP_NOT_FOUND, text, body, (size_t)n, 0);
}

fs_metrics_server_t *fs_metrics_server_start(fs_metrics_registry_t *reg, const char *listen,
					     fs_metrics_health_cb health, void *opaque, char *errstr,
					     size_t errstr_size)
{
	fs_metrics_server_t *srv;
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	const union MHD_DaemonInfo *info;
	char host[64];
	int port, v6;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;

	if (fs_metrics_parse_listen(listen, host, sizeof(host), &port, errstr, errstr_size) != FS_OK) {
		return NULL;
	}
	if (port < 0) {
		fs_seterr(errstr, errstr_size, FS_ERR_ARG, "metrics are off");
		return NULL;
	}
	srv = calloc(1, sizeof(*srv));
	if (!srv) {
		fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "out of memory");
		return NULL;
	}
	srv->reg = reg;
	srv->health = health;
	srv->opaque = opaque;
	memset(&ss, 0, sizeof(ss));
	v6 = strchr(host, ':') != NULL;
	if (v6) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, host, &sin6->sin6_addr);
		flags |= MHD_USE_IPv6;
	} else {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, host, &sin->sin_addr);
	}
	srv->daemon = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, handle, srv, MHD_OPTION_SOCK_ADDR,
				       (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, (unsigned)16,
				       MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)8, MHD_OPTION_CONNECTION_TIMEOUT,
				       (unsigned)10, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)32768,
				       MHD_OPTION_EXTERNAL_LOGGER, mhd_log, srv, MHD_OPTION_END);
	if (!srv->daemon) {
		fs_seterr(errstr, errstr_size, FS_ERR_IO, "cannot listen on %s%s%s%s:%d: %s", v6 ? "[" : "", host,
			  v6 ? "]" : "", "", port, *srv->lasterr ? srv->lasterr : "libmicrohttpd failed to start");
		free(srv);
		return NULL;
	}
	info = MHD_get_daemon_info(srv->daemon, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(srv->address, sizeof(srv->address), "%s%s%s:%u", v6 ? "[" : "", host, v6 ? "]" : "",
		 info ? (unsigned)info->port : (unsigned)port);
	return srv;
}

const char *fs_metrics_server_address(const fs_metrics_server_t *srv)
{
	return srv->address;
}

void fs_metrics_server_stop(fs_metrics_server_t *srv)
{
	if (!srv) {
		return;
	}
	MHD_stop_daemon(srv->daemon);
	free(srv);
}

/* ------------------------------------------------------------------ */
/* broker reachability                                                 */

void fs_broker_watch_init(fs_broker_watch_t *bw)
{
	atomic_init(&bw->down_since, 0);
}

void fs_broker_watch_error(fs_broker_watch_t *bw, int err)
{
	long long expected = 0;

	if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
		atomic_compare_exchange_strong(&bw->down_since, &expected, (long long)fs_mono_stamp_ms());
	}
}

void fs_broker_watch_seen(fs_broker_watch_t *bw)
{
	if (atomic_load_explicit(&bw->down_since, memory_order_relaxed) != 0) {
		atomic_store(&bw->down_since, 0);
	}
}

void fs_broker_watch_stats(fs_broker_watch_t *bw, const void *stats_root)
{
	json_t *brokers = json_object_get(stats_root, "brokers"), *b;
	const char *name;

	json_object_foreach(brokers, name, b)
	{
		const char *state = json_string_value(json_object_get(b, "state"));
		if (state && !strcmp(state, "UP")) {
			fs_broker_watch_seen(bw);
			return;
		}
	}
	if (json_object_size(brokers) > 0) {
		fs_broker_watch_error(bw, RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN);
	}
}

int fs_broker_watch_up(fs_broker_watch_t *bw)
{
	return atomic_load(&bw->down_since) == 0;
}

int fs_broker_watch_unready(fs_broker_watch_t *bw, char *why, size_t why_size)
{
	int64_t down = atomic_load(&bw->down_since), now = fs_mono_stamp_ms();

	if (down && now - down >= FS_METRICS_BROKER_GRACE_MS) {
		snprintf(why, why_size, "no Kafka broker reachable for %lld s", (long long)((now - down) / 1000));
		return 1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* the pipeline's metrics                                              */

/* Dead-letter reasons: the fs_err_t classes, the runner's produce_failed, and a catch-all. */
#define DLQ_PRODUCE_FAILED "produce_failed"
#define DLQ_OTHER          "unknown_error"

struct fs_metrics {
	fs_metrics_registry_t *reg;
	fs_metrics_server_t *srv;
	fs_metric_t *consumed, *scored, *alerted, *dlq, *by_label, *cats, *rules, *limit_hits;
	fs_metric_t *produce_failures, *commit_failures, *commits, *lag, *inflight, *queue_depth;
	fs_metric_t *processing, *e2e, *ready, *assigned, *build_info, *lexicon_info, *broker_up;
	const char **dlq_reasons;
	size_t ndlq_reasons;
	char *scored_topic, *alerts_topic, *dlq_topic;
	int nslots;
	atomic_ullong *busy_since; /* per thread slot: ms (monotonic) since it is busy, 0 idle */
	atomic_int assign_done;    /* the last rebalance callback assigned (possibly nothing) */
	atomic_int stopping;
	fs_broker_watch_t broker;
	int64_t wedged_ms;              /* FS_METRICS_WEDGED_MS, shorter in tests */
	uint64_t generation;            /* of the rule set whose categories and rules label the families */
	char **cat_names, **rule_names; /* those labels, to map the ids of a reloaded set by name */
	unsigned ncat_names, nrule_names;
	fs_metric_t *reloads;   /* feedsense_reloads_total{result} */
	pthread_mutex_t lex_mu; /* lexicon_info's version */
	char lexver[32];
};

static int is_ready(fs_metrics_t *mx, char *why, size_t why_size)
{
	int64_t nassigned = fs_metrics_value(mx->assigned, 0);

	if (atomic_load(&mx->stopping)) {
		snprintf(why, why_size, "shutting down");
		return 0;
	}
	if (fs_broker_watch_unready(&mx->broker, why, why_size)) {
		return 0;
	}
	if (nassigned > 0) {
		snprintf(why, why_size, "consuming %lld assigned partition(s)", (long long)nassigned);
		return 1;
	}
	if (atomic_load(&mx->assign_done)) {
		snprintf(why, why_size, "idle: the last rebalance assigned no partitions to this member");
		return 1;
	}
	snprintf(why, why_size, "waiting for a partition assignment from the consumer group");
	return 0;
}

static int is_live(fs_metrics_t *mx, char *why, size_t why_size)
{
	int64_t now = fs_mono_stamp_ms();
	int i, up = fs_broker_watch_up(&mx->broker);

	for (i = 0; i < mx->nslots; i++) {
		int64_t since = (int64_t)atomic_load(&mx->busy_since[i]);
		if (since && now - since > mx->wedged_ms && up) {
			long long secs = (long long)((now - since) / 1000);
			if (i == FS_METRICS_SLOT_CONSUMER || i == FS_METRICS_SLOT_POLLER) {
				snprintf(why, why_size, "%s stuck for %lld s",
					 i == FS_METRICS_SLOT_CONSUMER ? "consumer loop" : "producer poller", secs);
			} else {
				snprintf(why, why_size, "worker %d busy with one message for %lld s", i - 2, secs);
			}
			return 0;
		}
	}
	snprintf(why, why_size, "alive");
	return 1;
}

int fs_metrics_health(fs_metrics_t *mx, fs_metrics_probe_t probe, char *why, size_t why_size)
{
	if (!mx) {
		snprintf(why, why_size, "metrics off");
		return 1;
	}
	return probe == FS_PROBE_LIVE ? is_live(mx, why, why_size) : is_ready(mx, why, why_size);
}

static int health_cb(void *opaque, fs_metrics_probe_t probe, char *why, size_t why_size)
{
	return fs_metrics_health(opaque, probe, why, why_size);
}

static void collect(void *opaque)
{
	fs_metrics_t *mx = opaque;
	char why[128];

	fs_metrics_set(mx->ready, 0, is_ready(mx, why, sizeof(why)));
	fs_metrics_set(mx->broker_up, 0, fs_broker_watch_up(&mx->broker));
}

/* The families, in the order they are rendered. Returns 0, or -1 when one failed. */
static int make_families(fs_metrics_t *mx, const fs_engine_t *engine)
{
	static const char *const labels[] = {"negative", "neutral", "positive"};
	static const double proc_bounds[] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
					     0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1};
	static const double e2e_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
					    1,     2.5,    5,     10,   30,    60,   300, 900};
	static const char *const lag_labels[] = {"topic", "partition"};
	const fs_tags_t *tags = fs_engine_tags(engine);
	const fs_rules_t *rules = fs_engine_rules(engine);
	unsigned ncats = fs_tags_count(tags), nrules = fs_rules_count(rules), i;
	const char **names = calloc((ncats > nrules ? ncats : nrules) + 1, sizeof(*names));
	static const char *const reload_results[] = {"ok", "failed", "unchanged"};
	const char *version = FS_VERSION, *lexlabel = "version";
	fs_metrics_registry_t *reg = mx->reg;
	int e;

	if (!names) {
		return -1;
	}
	mx->dlq_reasons = calloc(20, sizeof(*mx->dlq_reasons));
	if (!mx->dlq_reasons) {
		free(names);
		return -1;
	}
	for (e = -1; e >= (int)FS_ERR_KAFKA; e--) {
		mx->dlq_reasons[mx->ndlq_reasons++] = fs_err2class((fs_err_t)e);
	}
	mx->dlq_reasons[mx->ndlq_reasons++] = DLQ_PRODUCE_FAILED;
	mx->dlq_reasons[mx->ndlq_reasons++] = DLQ_OTHER;

	mx->consumed = fs_metrics_family(reg, FS_METRIC_COUNTER, "feedsense_messages_consumed_total",
					 "Input messages consumed and handed to a worker.", NULL, NULL, 0);
	mx->scored = fs_metrics_family(reg, FS_METRIC_COUNTER, "feedsense_messages_scored_total",
				       "Scored events acknowledged by the broker on the scored topic.", NULL, NULL, 0);
	mx->alerted = fs_metrics_family(reg, FS_METRIC_COUNTER, "feedsense_messages_alerted_total",
					"Alerts acknowledged by the broker on the alerts topic.", NULL, NULL, 0);
	mx->dlq = fs_metrics_family(reg, FS_METRIC_COUNTER, "feedsense_messages_dead_lettered_total",
				    "Dead letters acknowledged by the broker on the dead-letter topic, by error class.",
				    "reason", mx->dlq_reasons, mx->ndlq_reasons);
	mx->by_label = fs_metrics_family(reg, FS_METRIC_COUNTER, "feedsense_messages_by_label_total",
					 "Messages scored, by sentiment label.", "label", labels, 3);
	for (i = 0; i < ncats; i++) {
		names[i] = fs_tags_name(tags, i);
	}
	mx->cats = fs_metrics_family(reg, FS_METRIC_COUNTER, "feedsense_category_hits_total",
				     "Scored messages that matched each category.", "category", names, ncats);
	for (i = 0; i < nrules; i++) {
		names[i] = fs_rules_get(rules, i)->name;
	}
	mx->rules = fs_metrics_family(reg, FS_METRIC_COUNTER, "feedsense_rule_hits_total",
				      "Scored messages that matched each rule.", "rule", names, nrules);
	free(names);
	mx->limit_hits =
	    fs_metrics_family(reg, FS_METRIC_COUNTER, "feedsense_rule_limit_hits_total",
			      "Rule evaluations skipped because they hit a PCRE2 match or depth limit.", NULL, NULL, 0);
	mx->produce_failures =
	    fs_metrics_family(reg, FS_METRIC_COUNTER, "feedsense_produce_failures_total",
			      "Delivery reports with an error (the output is produced again).", NULL, NULL, 0);
	mx->commit_failures = fs_metrics_family(reg, FS_METRIC_COUNTER, "feedsense_commit_failures_total",
						"Offset or transaction commits that failed.", NULL, NULL, 0);
	mx->commits = fs_metrics_family(reg, FS_METRIC_COUNTER, "feedsense_commits_total",
					"Offset or transaction commits that succeeded.", NULL, NULL, 0);
	mx->lag = fs_metrics_dynamic(reg, "feedsense_consumer_lag_messages",
				     "Consumer lag per assigned partition, from librdkafka statistics.", lag_labels, 2);
	mx->inflight =
	    fs_metrics_family(reg, FS_METRIC_GAUGE, "feedsense_inflight_messages",
			      "Messages consumed whose outputs are not all acknowledged yet.", NULL, NULL, 0);
	mx->queue_depth = fs_metrics_family(reg, FS_METRIC_GAUGE, "feedsense_queue_depth_messages",
					    "Messages waiting in the worker queues.", NULL, NULL, 0);
	mx->processing = fs_metrics_histogram(reg, "feedsense_processing_seconds",
					      "Time from a worker taking a message to its outputs being produced.",
					      proc_bounds, sizeof(proc_bounds) / sizeof(proc_bounds[0]));
	mx->e2e = fs_metrics_histogram(reg, "feedsense_end_to_end_seconds",
				       "Time from the input message's Kafka timestamp to the acknowledgement of its "
				       "last output.",
				       e2e_bounds, sizeof(e2e_bounds) / sizeof(e2e_bounds[0]));
	mx->ready =
	    fs_metrics_family(reg, FS_METRIC_GAUGE, "feedsense_ready", "1 when /readyz answers 200.", NULL, NULL, 0);
	mx->assigned = fs_metrics_family(reg, FS_METRIC_GAUGE, "feedsense_assigned_partitions",
					 "Partitions assigned to this consumer.", NULL, NULL, 0);
	mx->build_info =
	    fs_metrics_family(reg, FS_METRIC_GAUGE, "feedsense_build_info",
			      "Always 1; the version label is the feedsense version.", "version", &version, 1);
	mx->lexicon_info = fs_metrics_dynamic(reg, "feedsense_lexicon_info",
					      "Always 1; the version label names the lexicon set in use (it changes on "
					      "a live reload).",
					      &lexlabel, 1);
	mx->reloads = fs_metrics_family(reg, FS_METRIC_COUNTER, "feedsense_reloads_total",
					"Live reloads of the lexicon set (SIGHUP or a watched change), by result.",
					"result", reload_results, 3);
	mx->broker_up = fs_metrics_family(reg, FS_METRIC_GAUGE, "feedsense_broker_up",
					  "1 while a Kafka broker is reachable, 0 when librdkafka reports all down.",
					  NULL, NULL, 0);
	if (!mx->consumed || !mx->scored || !mx->alerted || !mx->dlq || !mx->by_label || !mx->cats || !mx->rules ||
	    !mx->limit_hits || !mx->produce_failures || !mx->commit_failures || !mx->commits || !mx->lag ||
	    !mx->inflight || !mx->queue_depth || !mx->processing || !mx->e2e || !mx->ready || !mx->assigned ||
	    !mx->build_info || !mx->lexicon_info || !mx->broker_up || !mx->reloads) {
		return -1;
	}
	fs_metrics_set(mx->build_info, 0, 1);
	mx->cat_names = calloc(ncats + 1, sizeof(char *));
	mx->rule_names = calloc(nrules + 1, sizeof(char *));
	if (!mx->cat_names || !mx->rule_names) {
		return -1;
	}
	for (i = 0; i < ncats; i++) {
		if (!(mx->cat_names[i] = strdup(fs_tags_name(tags, i)))) {
			return -1;
		}
		mx->ncat_names = i + 1;
	}
	for (i = 0; i < nrules; i++) {
		if (!(mx->rule_names[i] = strdup(fs_rules_get(rules, i)->name))) {
			return -1;
		}
		mx->nrule_names = i + 1;
	}
	fs_metrics_set(mx->broker_up, 0, 1);
	return 0;
}

void fs_metrics_destroy(fs_metrics_t *mx)
{
	if (!mx) {
		return;
	}
	fs_metrics_server_stop(mx->srv); /* first: no request may read what follows */
	fs_metrics_registry_destroy(mx->reg);
	for (unsigned i = 0; i < mx->ncat_names; i++) {
		free(mx->cat_names[i]);
	}
	for (unsigned i = 0; i < mx->nrule_names; i++) {
		free(mx->rule_names[i]);
	}
	free(mx->cat_names);
	free(mx->rule_names);
	pthread_mutex_destroy(&mx->lex_mu);
	free(mx->dlq_reasons);
	free(mx->busy_since);
	free(mx->scored_topic);
	free(mx->alerts_topic);
	free(mx->dlq_topic);
	free(mx);
}

static char *dup_or_null(const char *s)
{
	return s && *s ? strdup(s) : NULL;
}

fs_metrics_t *fs_metrics_start(const fs_config_t *cfg, const fs_engine_t *engine, uint64_t generation, int nworkers)
{
	fs_metrics_t *mx;
	char host[64], errstr[512];
	int port, i;

	if (fs_metrics_parse_listen(cfg->metrics_listen, host, sizeof(host), &port, errstr, sizeof(errstr)) != FS_OK) {
		fs_log(FS_LOG_ERROR, MOD, "metrics.listen: %s; running without metrics", errstr);
		return NULL;
	}
	if (port < 0) {
		return NULL;
	}
	mx = calloc(1, sizeof(*mx));
	if (!mx) {
		goto oom;
	}
	pthread_mutex_init(&mx->lex_mu, NULL);
	mx->nslots = FS_METRICS_SLOT_WORKER(nworkers > 0 ? nworkers : 0);
	mx->busy_since = calloc((size_t)mx->nslots, sizeof(*mx->busy_since));
	mx->reg = fs_metrics_registry_new();
	mx->scored_topic = dup_or_null(cfg->scored_topic);
	mx->alerts_topic = dup_or_null(cfg->alerts_topic);
	mx->dlq_topic = dup_or_null(cfg->dlq_topic);
	if (!mx->busy_since || !mx->reg || make_families(mx, engine) != 0) {
		goto oom;
	}
	for (i = 0; i < mx->nslots; i++) {
		atomic_init(&mx->busy_since[i], 0);
	}
	atomic_init(&mx->assign_done, 0);
	atomic_init(&mx->stopping, 0);
	fs_broker_watch_init(&mx->broker);
	mx->wedged_ms = FS_METRICS_WEDGED_MS;
	mx->generation = generation;
	fs_metrics_lexicon(mx, fs_engine_version(engine), 0, 0, 0);
	fs_metrics_on_collect(mx->reg, collect, mx);
	mx->srv = fs_metrics_server_start(mx->reg, cfg->metrics_listen, health_cb, mx, errstr, sizeof(errstr));
	if (!mx->srv) {
		fs_log(FS_LOG_ERROR, MOD, "%s; running without metrics", errstr);
		fs_metrics_destroy(mx);
		return NULL;
	}
	fs_log(FS_LOG_INFO, MOD, "listening on http://%s/metrics (also /healthz, /readyz)",
	       fs_metrics_server_address(mx->srv));
	return mx;

oom:
	fs_log(FS_LOG_ERROR, MOD, "out of memory setting up metrics; running without metrics");
	fs_metrics_destroy(mx);
	return NULL;
}

fs_metrics_registry_t *fs_metrics_registry(fs_metrics_t *mx)
{
	return mx ? mx->reg : NULL;
}

void fs_metrics_consumed(fs_metrics_t *mx)
{
	if (mx) {
		fs_metrics_add(mx->consumed, 0, 1);
		fs_metrics_add(mx->inflight, 0, 1);
		fs_metrics_add(mx->queue_depth, 0, 1);
	}
}

uint64_t fs_metrics_work_begin(fs_metrics_t *mx, int slot)
{
	if (!mx) {
		return 0;
	}
	fs_metrics_add(mx->queue_depth, 0, -1);
	if (slot >= 0 && slot < mx->nslots) {
		atomic_store(&mx->busy_since[slot], (unsigned long long)fs_mono_stamp_ms());
	}
	return fs_mono_us();
}

void fs_metrics_work_end(fs_metrics_t *mx, int slot, uint64_t t0)
{
	if (!mx) {
		return;
	}
	fs_metrics_observe(mx->processing, (double)(fs_mono_us() - t0) / 1e6);
	if (slot >= 0 && slot < mx->nslots) {
		atomic_store(&mx->busy_since[slot], 0);
	}
}

/* The label index of @p name among @p names, or -1: ids of a reloaded set
 * are mapped by name (linear: only after a reload, a few hits a message). */
static long find_name(char *const *names, unsigned n, const char *name)
{
	unsigned i;

	for (i = 0; name && i < n; i++) {
		if (!strcmp(names[i], name)) {
			return (long)i;
		}
	}
	return -1;
}

void fs_metrics_scored(fs_metrics_t *mx, const fs_engine_t *engine, uint64_t generation, const fs_result_t *res)
{
	size_t i;
	long k;

	if (!mx) {
		return;
	}
	fs_metrics_add(mx->by_label, (size_t)(res->label + 1), 1);
	if (res->limit_hits) {
		fs_metrics_add(mx->limit_hits, 0, res->limit_hits);
	}
	if (generation == mx->generation) {
		for (i = 0; i < res->ncats; i++) {
			fs_metrics_add(mx->cats, res->cats[i].id, 1);
		}
		for (i = 0; i < res->nrules_hit; i++) {
			fs_metrics_add(mx->rules, res->rules_hit[i], 1);
		}
		return;
	}
	/* A reloaded set: its categories and rules count under the label of the
	 * same name; ones the first set did not have are not counted (the
	 * families' labels are fixed when the pipeline starts). */
	if (!engine) {
		return;
	}
	for (i = 0; i < res->ncats; i++) {
		k = find_name(mx->cat_names, mx->ncat_names, fs_tags_name(fs_engine_tags(engine), res->cats[i].id));
		if (k >= 0) {
			fs_metrics_add(mx->cats, (size_t)k, 1);
		}
	}
	for (i = 0; i < res->nrules_hit; i++) {
		const fs_rule_t *rule = fs_rules_get(fs_engine_rules(engine), res->rules_hit[i]);
		k = rule ? find_name(mx->rule_names, mx->nrule_names, rule->name) : -1;
		if (k >= 0) {
			fs_metrics_add(mx->rules, (size_t)k, 1);
		}
	}
}

void fs_metrics_lexicon(fs_metrics_t *mx, const char *version, unsigned long ok, unsigned long failed,
			unsigned long unchanged)
{
	const char *values[1] = {version};
	int64_t one = 1;

	if (!mx) {
		return;
	}
	fs_metrics_set(mx->reloads, 0, (int64_t)ok);
	fs_metrics_set(mx->reloads, 1, (int64_t)failed);
	fs_metrics_set(mx->reloads, 2, (int64_t)unchanged);
	pthread_mutex_lock(&mx->lex_mu);
	if (version && strcmp(version, mx->lexver) != 0) {
		snprintf(mx->lexver, sizeof(mx->lexver), "%s", version);
		fs_metrics_replace(mx->lexicon_info, 1, values, &one);
	}
	pthread_mutex_unlock(&mx->lex_mu);
}

static size_t dlq_reason(const fs_metrics_t *mx, const char *cls, size_t len)
{
	size_t i;

	for (i = 0; cls && i < mx->ndlq_reasons; i++) {
		if (strlen(mx->dlq_reasons[i]) == len && !memcmp(mx->dlq_reasons[i], cls, len)) {
			return i;
		}
	}
	return mx->ndlq_reasons - 1; /* DLQ_OTHER */
}

void fs_metrics_delivered(fs_metrics_t *mx, const void *rkmessage)
{
	const rd_kafka_message_t *rkm = rkmessage;
	const char *topic;

	if (!mx) {
		return;
	}
	topic = rd_kafka_topic_name(rkm->rkt);
	if (mx->scored_topic && !strcmp(topic, mx->scored_topic)) {
		fs_metrics_add(mx->scored, 0, 1);
	} else if (mx->alerts_topic && !strcmp(topic, mx->alerts_topic)) {
		fs_metrics_add(mx->alerted, 0, 1);
	} else if (mx->dlq_topic && !strcmp(topic, mx->dlq_topic)) {
		rd_kafka_headers_t *hdrs = NULL;
		const void *val = NULL;
		size_t len = 0;
		if (rd_kafka_message_headers(rkm, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR ||
		    rd_kafka_header_get_last(hdrs, "feedsense.error.class", &val, &len) != RD_KAFKA_RESP_ERR_NO_ERROR) {
			val = NULL;
		}
		fs_metrics_add(mx->dlq, dlq_reason(mx, val, len), 1);
	}
}

void fs_metrics_produce_failed(fs_metrics_t *mx)
{
	if (mx) {
		fs_metrics_add(mx->produce_failures, 0, 1);
	}
}

void fs_metrics_done(fs_metrics_t *mx, int64_t kafka_ts_ms)
{
	if (!mx) {
		return;
	}
	fs_metrics_add(mx->inflight, 0, -1);
	if (kafka_ts_ms >= 0) {
		int64_t d = fs_wall_ms() - kafka_ts_ms;
		fs_metrics_observe(mx->e2e, d > 0 ? (double)d / 1000.0 : 0.0);
	}
}

void fs_metrics_committed(fs_metrics_t *mx, int err)
{
	if (!mx || err == RD_KAFKA_RESP_ERR__NO_OFFSET) {
		return;
	}
	fs_metrics_add(err ? mx->commit_failures : mx->commits, 0, 1);
}

void fs_metrics_kafka_error(fs_metrics_t *mx, int err)
{
	if (mx) {
		fs_broker_watch_error(&mx->broker, err);
	}
}

void fs_metrics_kafka_stats(fs_metrics_t *mx, const char *json, size_t len)
{
	json_t *root, *topics, *t, *parts, *p;
	const char *tname, *pname;
	const char **values = NULL;
	int64_t *lags = NULL;
	size_t n = 0, cap = 0;

	if (!mx || !(root = json_loadb(json, len, 0, NULL))) {
		return;
	}
	fs_broker_watch_stats(&mx->broker, root);
	topics = json_object_get(root, "topics");
	json_object_foreach(topics, tname, t)
	{
		parts = json_object_get(t, "partitions");
		json_object_foreach(parts, pname, p)
		{
			json_t *lag = json_object_get(p, "consumer_lag");
			if (!strcmp(pname, "-1") || !json_is_integer(lag) || json_integer_value(lag) < 0) {
				continue;
			}
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				const char **nv = realloc(values, ncap * 2 * sizeof(*values));
				int64_t *nl = nv ? realloc(lags, ncap * sizeof(*lags)) : NULL;
				if (nv) {
					values = nv;
				}
				if (!nl) {
					goto out;
				}
				lags = nl;
				cap = ncap;
			}
			values[2 * n] = tname;
			values[2 * n + 1] = pname;
			lags[n++] = (int64_t)json_integer_value(lag);
		}
	}
	fs_metrics_replace(mx->lag, n, values, lags);
out:
	free(values);
	free(lags);
	json_decref(root);
}

void fs_metrics_rebalanced(fs_metrics_t *mx, void *rk, int assigned)
{
	rd_kafka_topic_partition_list_t *list = NULL;

	if (!mx) {
		return;
	}
	if (rd_kafka_assignment(rk, &list) == RD_KAFKA_RESP_ERR_NO_ERROR && list) {
		fs_metrics_set(mx->assigned, 0, list->cnt);
		rd_kafka_topic_partition_list_destroy(list);
	}
	atomic_store(&mx->assign_done, assigned ? 1 : 0);
}

void fs_metrics_alive(fs_metrics_t *mx, int slot)
{
	if (mx && slot >= 0 && slot < mx->nslots) {
		atomic_store(&mx->busy_since[slot], (unsigned long long)fs_mono_stamp_ms());
	}
}

void fs_metrics_set_wedged_ms(fs_metrics_t *mx, int64_t ms)
{
	if (mx) {
		mx->wedged_ms = ms;
	}
}

void fs_metrics_stopping(fs_metrics_t *mx)
{
	if (mx) {
		atomic_store(&mx->stopping, 1);
		atomic_store(&mx->busy_since[FS_METRICS_SLOT_CONSUMER], 0);
	}
}
