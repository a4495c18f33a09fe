/*
 * reload: the current engine of the pipeline, reference counted, and its
 * replacement while the pipeline runs.
 *
 * The current snapshot is a pointer guarded by a mutex: taking it and
 * counting the new reference happen under the lock, so a swap can never
 * drop the last reference between the two. Workers do not take that lock
 * per message: they keep their reference and compare the generation (one
 * atomic load) between messages, and only when it moved do they take the
 * new snapshot and build a scratch for it. A worker therefore scores each
 * message wholly with one set, and the messages of one partition (one
 * worker) switch sets once, in order. The old engine is destroyed by
 * whoever drops its last reference: the swap itself when nobody holds it,
 * else the last worker to move on.
 *
 * Loading happens on the reloader thread, which sleeps in poll() on an
 * eventfd (requests and stop) and, with the watch on, an inotify descriptor
 * on the lexicon directory (and the directories of the user lexicons).
 * The directory is watched rather than the files so that editors that
 * write a new file and rename it over the old one are seen; events on
 * other names (swap files, backups) are ignored. A burst of events is
 * folded into one reload after debounce_ms of quiet (at most ten times that
 * after the first event, should the writes never pause). A lost-events
 * overflow counts as a change.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "feedsense/clock.h"
#include "feedsense/log.h"
#include "feedsense/reload.h"

#define MOD "reload"

struct fs_reload_ref {
	atomic_uint refs;
	fs_engine_t *engine;
	uint32_t alert_flags;
	uint64_t gen;
	void (*on_free)(const char *version, void *opaque);
	void *opaque;
};

/* A watched name: events on @name in the directory of watch @wd reload. */
typedef struct watch {
	int wd;
	char *name;
} watch_t;

struct fs_reload {
	/* the options every load uses, owned copies */
	fs_engine_opts_t eopts;
	char *dir;
	char **user;
	char *alert_flags;
	void (*on_free)(const char *version, void *opaque);
	void *opaque;
	int debounce_ms;

	pthread_mutex_t mu; /* guards cur */
	fs_reload_ref_t *cur;
	atomic_uint_fast64_t gen; /* cur->gen, readable without the lock */
	pthread_mutex_t load_mu;  /* one load at a time */
	atomic_ulong ok, failed, unchanged;

	int efd, ifd;
	watch_t *watches;
	size_t nwatches;
	atomic_int requested, stopping;
	pthread_t th;
	int started;
};

void fs_reload_opts_init(fs_reload_opts_t *opts)
{
	memset(opts, 0, sizeof(*opts));
	fs_engine_opts_init(&opts->engine);
	opts->debounce_ms = FS_RELOAD_DEBOUNCE_MS;
}

/* ------------------------------------------------------------------ */
/* snapshots                                                           */

fs_reload_ref_t *fs_reload_ref_acquire(fs_reload_ref_t *ref)
{
	atomic_fetch_add(&ref->refs, 1);
	return ref;
}

void fs_reload_ref_release(fs_reload_ref_t *ref)
{
	if (!ref || atomic_fetch_sub(&ref->refs, 1) != 1) {
		return;
	}
	fs_log(FS_LOG_DEBUG, MOD, "%s released by its last user", fs_engine_version(ref->engine));
	if (ref->on_free) {
		ref->on_free(fs_engine_version(ref->engine), ref->opaque);
	}
	fs_engine_destroy(ref->engine);
	free(ref);
}

const fs_engine_t *fs_reload_ref_engine(const fs_reload_ref_t *ref)
{
	return ref->engine;
}

uint32_t fs_reload_ref_alert_flags(const fs_reload_ref_t *ref)
{
	return ref->alert_flags;
}

uint64_t fs_reload_ref_generation(const fs_reload_ref_t *ref)
{
	return ref->gen;
}

/* The mask of the flags named in @p list that @p engine's rules set. */
static uint32_t flag_mask(const fs_engine_t *engine, const char *list)
{
	const fs_rules_t *rules = fs_engine_rules(engine);
	char *copy = strdup(list ? list : ""), *tok, *save = NULL;
	uint32_t mask = 0;

	for (tok = copy ? strtok_r(copy, ", ", &save) : NULL; tok; tok = strtok_r(NULL, ", ", &save)) {
		int bit = fs_rules_flag_find(rules, tok);
		if (bit < 0) {
			fs_log(FS_LOG_WARN, MOD, "output.alert_flags: no rule of %s sets flag '%s'",
			       fs_engine_version(engine), tok);
		} else {
			mask |= 1u << bit;
		}
	}
	free(copy);
	return mask;
}

/* Takes ownership of @p engine on success. NULL when out of memory. */
static fs_reload_ref_t *ref_new(fs_reload_t *rl, fs_engine_t *engine, uint64_t gen)
{
	fs_reload_ref_t *ref = calloc(1, sizeof(*ref));

	if (!ref) {
		return NULL;
	}
	atomic_init(&ref->refs, 1);
	ref->engine = engine;
	ref->alert_flags = flag_mask(engine, rl->alert_flags);
	ref->gen = gen;
	ref->on_free = rl->on_free;
	ref->opaque = rl->opaque;
	return ref;
}

fs_reload_ref_t *fs_reload_acquire(fs_reload_t *rl)
{
	fs_reload_ref_t *ref;

	pthread_mutex_lock(&rl->mu);
	ref = fs_reload_ref_acquire(rl->cur);
	pthread_mutex_unlock(&rl->mu);
	return ref;
}

uint64_t fs_reload_generation(const fs_reload_t *rl)
{
	return atomic_load_explicit(&((fs_reload_t *)rl)->gen, memory_order_acquire);
}

void fs_reload_stats(fs_reload_t *rl, fs_reload_stats_t *stats)
{
	memset(stats, 0, sizeof(*stats));
	stats->reloads_ok = atomic_load(&rl->ok);
	stats->reloads_failed = atomic_load(&rl->failed);
	stats->reloads_unchanged = atomic_load(&rl->unchanged);
	pthread_mutex_lock(&rl->mu);
	stats->generation = rl->cur->gen;
	snprintf(stats->version, sizeof(stats->version), "%s", fs_engine_version(rl->cur->engine));
	pthread_mutex_unlock(&rl->mu);
}

/* ------------------------------------------------------------------ */
/* per-thread use                                                      */

int fs_reload_use_refresh(fs_reload_t *rl, fs_reload_use_t *use)
{
	fs_reload_ref_t *ref;
	fs_scratch_t *scr;

	if (use->ref && use->gen == fs_reload_generation(rl)) {
		return 0;
	}
	ref = fs_reload_acquire(rl);
	scr = fs_scratch_new(ref->engine);
	if (!scr) {
		fs_log(FS_LOG_ERROR, MOD, "out of memory for a scratch of %s: staying on %s",
		       fs_engine_version(ref->engine), use->ref ? fs_engine_version(use->engine) : "none");
		fs_reload_ref_release(ref);
		return -1;
	}
	fs_reload_use_clear(use);
	use->ref = ref;
	use->scr = scr;
	use->engine = ref->engine;
	use->gen = ref->gen;
	return 0;
}

void fs_reload_use_clear(fs_reload_use_t *use)
{
	fs_scratch_destroy(use->scr); /* before the engine it points into */
	fs_reload_ref_release(use->ref);
	memset(use, 0, sizeof(*use));
}

/* ------------------------------------------------------------------ */
/* loading                                                             */

fs_err_t fs_reload_now(fs_reload_t *rl, const char *why, int *swapped, char *errstr, size_t errstr_size)
{
	fs_engine_t *engine = NULL;
	fs_reload_ref_t *cur, *ref = NULL;
	const char *old;
	fs_err_t err;
	int64_t t0;

	if (swapped) {
		*swapped = 0;
	}
	pthread_mutex_lock(&rl->load_mu);
	cur = fs_reload_acquire(rl);
	old = fs_engine_version(cur->engine);
	t0 = fs_mono_ms();
	err = fs_engine_new(&rl->eopts, &engine, errstr, errstr_size);
	if (err == FS_OK && !strcmp(fs_engine_version(engine), old)) {
		atomic_fetch_add(&rl->unchanged, 1);
		fs_log(FS_LOG_INFO, MOD, "%s unchanged (%s): nothing to do", old, why);
		fs_engine_destroy(engine);
		goto out;
	}
	if (err == FS_OK) {
		ref = ref_new(rl, engine, cur->gen + 1);
		if (!ref) {
			fs_engine_destroy(engine);
			err = fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "out of memory");
		}
	}
	if (err != FS_OK) {
		unsigned long n = atomic_fetch_add(&rl->failed, 1) + 1;
		fs_log(FS_LOG_ERROR, MOD, "rejected (%s): %s; still running %s (%lu failed reload%s)", why, errstr, old,
		       n, n == 1 ? "" : "s");
		goto out;
	}
	pthread_mutex_lock(&rl->mu);
	rl->cur = ref;
	atomic_store_explicit(&rl->gen, ref->gen, memory_order_release);
	pthread_mutex_unlock(&rl->mu);
	atomic_fetch_add(&rl->ok, 1);
	fs_log(FS_LOG_INFO, MOD, "%s -> %s (%zu terms, %u rules, %u categories; %s; loaded in %lld ms)", old,
	       fs_engine_version(engine), fs_lexicon_count(fs_engine_lexicon(engine)),
	       fs_rules_count(fs_engine_rules(engine)), fs_tags_count(fs_engine_tags(engine)), why,
	       (long long)(fs_mono_ms() - t0));
	if (swapped) {
		*swapped = 1;
	}
	fs_reload_ref_release(cur); /* the snapshot's own reference */
out:
	fs_reload_ref_release(cur); /* ours */
	pthread_mutex_unlock(&rl->load_mu);
	return err;
}

void fs_reload_request(fs_reload_t *rl)
{
	uint64_t one = 1;
	ssize_t n;

	atomic_store(&rl->requested, 1);
	n = write(rl->efd, &one, sizeof(one));
	(void)n; /* a full counter already wakes the thread */
}

/* ------------------------------------------------------------------ */
/* the watch                                                           */

static int add_watch(fs_reload_t *rl, const char *dir, const char *name, char *errstr, size_t errstr_size)
{
	watch_t *w;
	int wd = inotify_add_watch(rl->ifd, dir,
				   IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
				       IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR);

	if (wd < 0) {
		fs_seterr(errstr, errstr_size, FS_ERR_IO, "%s: cannot watch: %s", dir, strerror(errno));
		return -1;
	}
	w = realloc(rl->watches, (rl->nwatches + 1) * sizeof(*w));
	if (!w) {
		fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "out of memory");
		return -1;
	}
	rl->watches = w;
	w[rl->nwatches].wd = wd;
	w[rl->nwatches].name = strdup(name);
	if (!w[rl->nwatches].name) {
		fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "out of memory");
		return -1;
	}
	rl->nwatches++;
	return 0;
}

/* Watch the files of the set: the lexicon directory's own, and each user lexicon. */
static int start_watch(fs_reload_t *rl, char *errstr, size_t errstr_size)
{
	static const char *lexfiles[] = FS_LEXICON_FILES;
	/* "..data": the symlink a Kubernetes volume swaps to update its files */
	static const char *other[] = {FS_MODIFIERS_FILE, FS_CATEGORIES_FILE, FS_RULES_FILE, "..data"};
	size_t i;

	rl->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (rl->ifd < 0) {
		fs_seterr(errstr, errstr_size, FS_ERR_IO, "inotify: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < sizeof(lexfiles) / sizeof(lexfiles[0]); i++) {
		if (add_watch(rl, rl->dir, lexfiles[i], errstr, errstr_size) != 0) {
			return -1;
		}
	}
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		if (add_watch(rl, rl->dir, other[i], errstr, errstr_size) != 0) {
			return -1;
		}
	}
	for (i = 0; i < rl->eopts.n_user_lexicons; i++) {
		const char *spec = rl->user[i], *colon = strchr(spec, ':'), *slash;
		char dir[4096];
		if (colon &&
		    (!strncmp(spec, "vader:", 6) || !strncmp(spec, "afinn:", 6) || !strncmp(spec, "native:", 7))) {
			spec = colon + 1;
		}
		slash = strrchr(spec, '/');
		snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - spec) + (slash == spec) : 1,
			 slash ? spec : ".");
		if (add_watch(rl, dir, slash ? slash + 1 : spec, errstr, errstr_size) != 0) {
			return -1;
		}
	}
	return 0;
}

/* Read the pending events. Returns 1 when one concerns a file of the set. */
static int read_events(fs_reload_t *rl)
{
	char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	int hit = 0;
	ssize_t len;

	while ((len = read(rl->ifd, buf, sizeof(buf))) > 0) {
		char *p;
		for (p = buf; p < buf + len; p += sizeof(struct inotify_event) + ((struct inotify_event *)p)->len) {
			const struct inotify_event *ev = (const struct inotify_event *)p;
			size_t i;
			if (ev->mask & IN_Q_OVERFLOW) {
				hit = 1; /* events were lost: one of them may have been ours */
				continue;
			}
			if (ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
				fs_log(FS_LOG_WARN, MOD,
				       "a watched lexicon directory was removed or moved: changes to it are no longer "
				       "seen (SIGHUP still reloads)");
				continue;
			}
			for (i = 0; ev->len && i < rl->nwatches; i++) {
				if (rl->watches[i].wd == ev->wd && !strcmp(rl->watches[i].name, ev->name)) {
					hit = 1;
				}
			}
		}
	}
	return hit;
}

static void reload_logged(fs_reload_t *rl, const char *why)
{
	char errstr[1024];
	fs_reload_now(rl, why, NULL, errstr, sizeof(errstr)); /* the outcome is logged */
}

static void *reload_main(void *arg)
{
	fs_reload_t *rl = arg;
	int64_t due = -1;   /* when the watched changes are quiet enough, or -1 */
	int64_t first = -1; /* the first change not reloaded yet */

	while (!atomic_load(&rl->stopping)) {
		struct pollfd pfd[2] = {{.fd = rl->efd, .events = POLLIN}, {.fd = rl->ifd, .events = POLLIN}};
		int timeout = -1, rc;

		if (due >= 0) {
			int64_t left = due - fs_mono_ms();
			timeout = left > 0 ? (int)left : 0;
		}
		rc = poll(pfd, rl->ifd >= 0 ? 2 : 1, timeout);
		if (rc < 0 && errno != EINTR) {
			fs_log(FS_LOG_ERROR, MOD, "poll: %s: live reload stops", strerror(errno));
			break;
		}
		if (rc > 0 && (pfd[0].revents & POLLIN)) {
			uint64_t v;
			ssize_t n = read(rl->efd, &v, sizeof(v));
			(void)n;
		}
		if (atomic_load(&rl->stopping)) {
			break;
		}
		if (rc > 0 && rl->ifd >= 0 && (pfd[1].revents & POLLIN) && read_events(rl)) {
			/* quiet time after the last change, but files that never stop
			 * changing are reloaded after ten quiet times at the latest */
			int64_t t = fs_mono_ms();
			first = due < 0 ? t : first;
			due = t + rl->debounce_ms < first + 10 * (int64_t)rl->debounce_ms
				  ? t + rl->debounce_ms
				  : first + 10 * (int64_t)rl->debounce_ms;
		}
		if (atomic_exchange(&rl->requested, 0)) {
			due = -1; /* this load reads every change seen so far */
			reload_logged(rl, "SIGHUP");
		} else if (due >= 0 && fs_mono_ms() >= due) {
			due = -1;
			reload_logged(rl, "files changed");
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ */

fs_err_t fs_reload_new(const fs_reload_opts_t *opts, fs_reload_t **rlp, char *errstr, size_t errstr_size)
{
	fs_reload_t *rl = calloc(1, sizeof(*rl));
	fs_engine_t *engine = NULL;
	fs_err_t err = FS_ERR_NOMEM;
	size_t i;

	*rlp = NULL;
	if (!rl) {
		return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "out of memory");
	}
	pthread_mutex_init(&rl->mu, NULL);
	pthread_mutex_init(&rl->load_mu, NULL);
	rl->efd = rl->ifd = -1;
	rl->eopts = opts->engine;
	rl->on_free = opts->on_free;
	rl->opaque = opts->opaque;
	rl->debounce_ms = opts->debounce_ms >= 0 ? opts->debounce_ms : FS_RELOAD_DEBOUNCE_MS;
	rl->dir = strdup(opts->engine.lexicon_dir ? opts->engine.lexicon_dir : FS_DEFAULT_LEXICON_DIR);
	rl->alert_flags = opts->alert_flags ? strdup(opts->alert_flags) : NULL;
	rl->user = calloc(opts->engine.n_user_lexicons + 1, sizeof(char *));
	if (!rl->dir || (opts->alert_flags && !rl->alert_flags) || !rl->user) {
		fs_seterr(errstr, errstr_size, err, "out of memory");
		goto fail;
	}
	for (i = 0; i < opts->engine.n_user_lexicons; i++) {
		if (!(rl->user[i] = strdup(opts->engine.user_lexicons[i]))) {
			fs_seterr(errstr, errstr_size, err, "out of memory");
			goto fail;
		}
	}
	rl->eopts.lexicon_dir = rl->dir;
	rl->eopts.user_lexicons = (const char *const *)rl->user;
	rl->eopts.diag = NULL;
	if ((err = fs_engine_new(&rl->eopts, &engine, errstr, errstr_size)) != FS_OK) {
		goto fail;
	}
	if (!(rl->cur = ref_new(rl, engine, 1))) {
		fs_engine_destroy(engine);
		err = fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "out of memory");
		goto fail;
	}
	atomic_init(&rl->gen, 1);
	rl->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (rl->efd < 0) {
		err = fs_seterr(errstr, errstr_size, FS_ERR_IO, "eventfd: %s", strerror(errno));
		goto fail;
	}
	if (opts->watch && start_watch(rl, errstr, errstr_size) != 0) {
		err = FS_ERR_IO;
		goto fail;
	}
	if (pthread_create(&rl->th, NULL, reload_main, rl) != 0) {
		err = fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "cannot start the reload thread");
		goto fail;
	}
	rl->started = 1;
	*rlp = rl;
	return FS_OK;
fail:
	fs_reload_destroy(rl);
	return err;
}

void fs_reload_destroy(fs_reload_t *rl)
{
	size_t i;

	if (!rl) {
		return;
	}
	if (rl->started) {
		atomic_store(&rl->stopping, 1);
		fs_reload_request(rl);
		pthread_join(rl->th, NULL);
	}
	if (rl->efd >= 0) {
		close(rl->efd);
	}
	if (rl->ifd >= 0) {
		close(rl->ifd);
	}
	for (i = 0; i < rl->nwatches; i++) {
		free(rl->watches[i].name);
	}
	free(rl->watches);
	fs_reload_ref_release(rl->cur);
	for (i = 0; rl->user && i < rl->eopts.n_user_lexicons; i++) {
		free(rl->user[i]);
	}
	free(rl->user);
	free(rl->dir);
	free(rl->alert_flags);
	pthread_mutex_destroy(&rl->mu);
	pthread_mutex_destroy(&rl->load_mu);
	free(rl);
}
