/*
 * test_reload: the live engine. Reference counting across a swap (the old
 * engine lives until its last holder lets go, then is destroyed once),
 * rejected sets (file:line, the running set stays), unchanged sets, the
 * per-thread binding of a scratch, concurrent scoring during reloads, and
 * the directory watch (rename-style writes seen, other names ignored).
 */
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"

#include "feedsense/reload.h"

/* ------------------------------------------------------------------ */
/* a private copy of the fixture directory, editable by the tests      */

static char dir[256];

#define FREED_MAX 64
static char freed[FREED_MAX][24];
static atomic_int nfreed;

static void on_free(const char *version, void *opaque)
{
	int i = atomic_fetch_add(&nfreed, 1);
	(void)opaque;
	if (i < FREED_MAX) {
		snprintf(freed[i], sizeof(freed[i]), "%s", version);
	}
}

static void write_file(const char *name, const char *text)
{
	char path[512];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
}

/* Write via a temporary file renamed over the original, as many editors do. */
static void write_file_renamed(const char *name, const char *text)
{
	char path[512], tmp[512];

	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, name);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	{
		FILE *fp = fopen(tmp, "w");
		assert_non_null(fp);
		fputs(text, fp);
		assert_int_equal(fclose(fp), 0);
	}
	assert_int_equal(rename(tmp, path), 0);
}

static int setup(void **state)
{
	DIR *d;
	struct dirent *de;
	char *buf = malloc(1 << 16);

	(void)state;
	snprintf(dir, sizeof(dir), "%s/feedsense-reload.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!buf || !mkdtemp(dir) || !(d = opendir(TU_FIXTURE_DIR))) {
		free(buf);
		return -1;
	}
	while ((de = readdir(d))) {
		char src[512], dst[512];
		FILE *in, *out;
		size_t n;
		if (de->d_name[0] == '.') {
			continue;
		}
		snprintf(src, sizeof(src), "%s/%s", TU_FIXTURE_DIR, de->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", dir, de->d_name);
		in = fopen(src, "r");
		out = fopen(dst, "w");
		if (!in || !out) {
			return -1;
		}
		while ((n = fread(buf, 1, 1 << 16, in)) > 0) {
			fwrite(buf, 1, n, out);
		}
		fclose(in);
		fclose(out);
	}
	closedir(d);
	free(buf);
	atomic_store(&nfreed, 0);
	return 0;
}

static int teardown(void **state)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	(void)state;
	while (d && (de = readdir(d))) {
		char path[512];
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
			unlink(path);
		}
	}
	if (d) {
		closedir(d);
	}
	rmdir(dir);
	return 0;
}

/* The fixture's sentiment.tsv with "great" at @p valence. */
static void set_great(const char *valence)
{
	char text[1024];

	snprintf(text, sizeof(text),
		 "good\t2.0\ngreat\t%s\nbad\t-2.0\nterrible\t-3.0\nhappy\t2.0\nlove\t3.0\nhelpful\t2.0\nfast\t1.5\n"
		 "slow\t-1.5\nworst\t-3.0\nproblem\t-1.0\nthanks\t1.5\ndisappointed\t-2.0\nexcellent\t3.0\n",
		 valence);
	write_file("sentiment.tsv", text);
}

static fs_reload_t *new_reload(int watch)
{
	fs_reload_opts_t opts;
	fs_reload_t *rl = NULL;
	char errstr[512] = "";

	fs_reload_opts_init(&opts);
	opts.engine.lexicon_dir = dir;
	opts.alert_flags = "churn_risk";
	opts.watch = watch;
	opts.debounce_ms = 250; /* far above the gaps of the bursts the tests write */
	opts.on_free = on_free;
	if (fs_reload_new(&opts, &rl, errstr, sizeof(errstr)) != FS_OK) {
		print_error("fs_reload_new: %s\n", errstr);
	}
	assert_non_null(rl);
	return rl;
}

/* Valence the engine gives "great" (explanation of a one-word text). */
static double valence_of_great(const fs_engine_t *engine)
{
	fs_scratch_t *scr = fs_scratch_new(engine);
	const fs_result_t *res;
	size_t errpos;
	double v;

	assert_non_null(scr);
	assert_int_equal(fs_score(engine, scr, "great", 5, &res, &errpos), FS_OK);
	assert_int_equal(res->nexplain, 1);
	v = res->explain[0].valence;
	fs_scratch_destroy(scr);
	return v;
}

/* ------------------------------------------------------------------ */

static void test_swap_keeps_old_alive(void **state)
{
	fs_reload_t *rl = new_reload(0);
	fs_reload_ref_t *old = fs_reload_acquire(rl), *cur;
	fs_reload_stats_t st;
	char v_old[24], v_new[24], errstr[512] = "";
	int swapped = -1;

	(void)state;
	snprintf(v_old, sizeof(v_old), "%s", fs_engine_version(fs_reload_ref_engine(old)));
	assert_int_equal(fs_reload_generation(rl), 1);
	assert_int_equal(fs_reload_ref_generation(old), 1);
	assert_int_not_equal(fs_reload_ref_alert_flags(old), 0); /* a fixture rule sets churn_risk */

	set_great("-3.0");
	assert_int_equal(fs_reload_now(rl, "test", &swapped, errstr, sizeof(errstr)), FS_OK);
	assert_int_equal(swapped, 1);
	assert_int_equal(fs_reload_generation(rl), 2);
	fs_reload_stats(rl, &st);
	assert_int_equal(st.reloads_ok, 1);
	assert_int_equal(st.reloads_failed, 0);
	assert_int_equal(st.generation, 2);
	assert_string_not_equal(st.version, v_old);
	snprintf(v_new, sizeof(v_new), "%s", st.version);

	/* the swap dropped the snapshot's reference, ours keeps the old engine */
	assert_int_equal(atomic_load(&nfreed), 0);
	assert_approx(valence_of_great(fs_reload_ref_engine(old)), 3.0);
	cur = fs_reload_acquire(rl);
	assert_string_equal(fs_engine_version(fs_reload_ref_engine(cur)), v_new);
	assert_approx(valence_of_great(fs_reload_ref_engine(cur)), -3.0);
	assert_int_equal(fs_reload_ref_alert_flags(cur), fs_reload_ref_alert_flags(old));

	/* a second holder of the old set: freed at the last release only */
	fs_reload_ref_acquire(old);
	fs_reload_ref_release(old);
	assert_int_equal(atomic_load(&nfreed), 0);
	fs_reload_ref_release(old);
	assert_int_equal(atomic_load(&nfreed), 1);
	assert_string_equal(freed[0], v_old);

	/* the reloader's reference and ours: the current set outlives the reloader */
	fs_reload_destroy(rl);
	assert_int_equal(atomic_load(&nfreed), 1);
	assert_approx(valence_of_great(fs_reload_ref_engine(cur)), -3.0);
	fs_reload_ref_release(cur);
	assert_int_equal(atomic_load(&nfreed), 2);
	assert_string_equal(freed[1], v_new);
}

static void test_use_rebinds_scratch(void **state)
{
	fs_reload_t *rl = new_reload(0);
	fs_reload_use_t use;
	const fs_result_t *res;
	const fs_engine_t *first;
	char errstr[512];
	size_t errpos;

	(void)state;
	memset(&use, 0, sizeof(use));
	assert_int_equal(fs_reload_use_refresh(rl, &use), 0);
	first = use.engine;
	assert_int_equal(use.gen, 1);
	assert_int_equal(fs_reload_use_refresh(rl, &use), 0); /* nothing changed: same binding */
	assert_ptr_equal(use.engine, first);

	set_great("-3.0");
	assert_int_equal(fs_reload_now(rl, "test", NULL, errstr, sizeof(errstr)), FS_OK);
	/* until it refreshes, the user keeps scoring with the old set */
	assert_int_equal(fs_score(use.engine, use.scr, "great", 5, &res, &errpos), FS_OK);
	assert_true(res->compound > 0);
	assert_int_equal(atomic_load(&nfreed), 0);
	assert_int_equal(fs_reload_use_refresh(rl, &use), 0);
	assert_int_equal(use.gen, 2);
	assert_int_equal(atomic_load(&nfreed), 1); /* the user was the old set's last holder */
	assert_int_equal(fs_score(use.engine, use.scr, "great", 5, &res, &errpos), FS_OK);
	assert_true(res->compound < 0);
	fs_reload_use_clear(&use);
	fs_reload_use_clear(&use); /* twice is harmless */
	assert_int_equal(atomic_load(&nfreed), 1);
	fs_reload_destroy(rl);
	assert_int_equal(atomic_load(&nfreed), 2);
}

static void test_bad_file_keeps_running_set(void **state)
{
	fs_reload_t *rl = new_reload(0);
	fs_reload_stats_t before, after;
	char errstr[512] = "", want[600];
	int swapped = -1;

	(void)state;
	fs_reload_stats(rl, &before);
	/* line 3 of the new file is bad */
	write_file("sentiment.tsv", "good\t2.0\ngreat\t3.0\nbad\tvery\n");
	assert_int_equal(fs_reload_now(rl, "test", &swapped, errstr, sizeof(errstr)), FS_ERR_PARSE);
	assert_int_equal(swapped, 0);
	snprintf(want, sizeof(want), "%s/sentiment.tsv:3:", dir);
	assert_prefix(errstr, want);
	fs_reload_stats(rl, &after);
	assert_int_equal(after.reloads_failed, 1);
	assert_int_equal(after.reloads_ok, 0);
	assert_int_equal(after.generation, before.generation);
	assert_string_equal(after.version, before.version);
	assert_int_equal(atomic_load(&nfreed), 0); /* the running set untouched */

	/* a bad rule, then the files repaired: the next reload goes through */
	set_great("3.0");
	write_file("rules.conf", "[broken\n");
	assert_int_not_equal(fs_reload_now(rl, "test", &swapped, errstr, sizeof(errstr)), FS_OK);
	snprintf(want, sizeof(want), "%s/rules.conf:1:", dir);
	assert_prefix(errstr, want);
	fs_reload_stats(rl, &after);
	assert_int_equal(after.reloads_failed, 2);
	assert_string_equal(after.version, before.version);
	fs_reload_destroy(rl);
	assert_int_equal(atomic_load(&nfreed), 1);
}

static void test_unchanged_is_noop(void **state)
{
	fs_reload_t *rl = new_reload(0);
	fs_reload_stats_t st;
	char errstr[512];
	int swapped = -1;

	(void)state;
	assert_int_equal(fs_reload_now(rl, "test", &swapped, errstr, sizeof(errstr)), FS_OK);
	assert_int_equal(swapped, 0);
	fs_reload_stats(rl, &st);
	assert_int_equal(st.reloads_unchanged, 1);
	assert_int_equal(st.reloads_ok, 0);
	assert_int_equal(st.generation, 1);
	assert_int_equal(atomic_load(&nfreed), 0); /* the running set stays; the copy was never published */
	fs_reload_destroy(rl);
	assert_int_equal(atomic_load(&nfreed), 1);
}

/* ------------------------------------------------------------------ */
/* scoring threads during reloads: every result matches its engine     */

typedef struct scorer {
	fs_reload_t *rl;
	atomic_int *stop;
	unsigned long n, wrong, switches;
} scorer_t;

static void *scorer_main(void *arg)
{
	scorer_t *s = arg;
	fs_reload_use_t use;
	uint64_t gen = 0;

	memset(&use, 0, sizeof(use));
	while (!atomic_load(s->stop) || s->n < 100) {
		const fs_result_t *res;
		size_t errpos;
		int positive;
		if (fs_reload_use_refresh(s->rl, &use) != 0 || fs_score(use.engine, use.scr, "great", 5, &res, &errpos)) {
			s->wrong++;
			break;
		}
		if (use.gen < gen) {
			s->wrong++; /* generations never go back */
		}
		s->switches += use.gen != gen;
		gen = use.gen;
		/* the sign the engine the result came from gives "great" */
		positive = tu_lookup(fs_engine_lexicon(use.engine), "great")->valence > 0;
		s->wrong += positive != (res->compound > 0);
		s->n++;
	}
	fs_reload_use_clear(&use);
	return NULL;
}

static void test_concurrent_scoring(void **state)
{
	fs_reload_t *rl = new_reload(0);
	fs_reload_stats_t st;
	scorer_t s[2];
	pthread_t th[2];
	atomic_int stop;
	char errstr[512];
	int i;

	(void)state;
	atomic_init(&stop, 0);
	for (i = 0; i < 2; i++) {
		memset(&s[i], 0, sizeof(s[i]));
		s[i].rl = rl;
		s[i].stop = &stop;
		assert_int_equal(pthread_create(&th[i], NULL, scorer_main, &s[i]), 0);
	}
	for (i = 0; i < 10; i++) {
		set_great(i % 2 ? "3.0" : "-3.0");
		assert_int_equal(fs_reload_now(rl, "test", NULL, errstr, sizeof(errstr)), FS_OK);
		usleep(5000);
	}
	atomic_store(&stop, 1);
	for (i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(s[i].wrong, 0);
		assert_true(s[i].n >= 100);
		assert_true(s[i].switches >= 1);
	}
	fs_reload_stats(rl, &st);
	assert_int_equal(st.reloads_ok, 10);
	assert_int_equal(st.generation, 11);
	assert_int_equal(atomic_load(&nfreed), 10); /* every set but the current one */
	fs_reload_destroy(rl);
	assert_int_equal(atomic_load(&nfreed), 11);
}

/* ------------------------------------------------------------------ */
/* the watch                                                           */

/* Until the generation reaches @p gen, at most 10 s. */
static int wait_generation(fs_reload_t *rl, uint64_t gen)
{
	int i;
	for (i = 0; i < 1000 && fs_reload_generation(rl) < gen; i++) {
		usleep(10000);
	}
	return fs_reload_generation(rl) >= gen;
}

static void test_watch(void **state)
{
	fs_reload_t *rl = new_reload(1);
	fs_reload_stats_t st;
	fs_reload_ref_t *ref;
	int i;

	(void)state;
	/* other names in the directory (swap files, backups) do nothing */
	write_file(".sentiment.tsv.swp", "x");
	write_file("sentiment.tsv~", "x");
	usleep(750000); /* three debounce periods */
	fs_reload_stats(rl, &st);
	assert_int_equal(st.generation, 1);
	assert_int_equal(st.reloads_unchanged + st.reloads_failed, 0);

	/* a burst of writes, the last one by rename: one reload after the quiet time */
	for (i = 0; i < 5; i++) {
		set_great("1.0");
		usleep(10000);
	}
	write_file_renamed("sentiment.tsv",
			   "good\t2.0\ngreat\t-2.5\nbad\t-2.0\nterrible\t-3.0\nhappy\t2.0\nlove\t3.0\nhelpful\t2.0\n"
			   "fast\t1.5\nslow\t-1.5\nworst\t-3.0\nproblem\t-1.0\nthanks\t1.5\ndisappointed\t-2.0\n"
			   "excellent\t3.0\n");
	assert_true(wait_generation(rl, 2));
	usleep(500000);
	fs_reload_stats(rl, &st);
	assert_int_equal(st.reloads_ok, 1); /* one reload for the burst */
	assert_int_equal(st.generation, 2);
	ref = fs_reload_acquire(rl);
	assert_approx(valence_of_great(fs_reload_ref_engine(ref)), -2.5);
	fs_reload_ref_release(ref);

	/* a broken file seen by the watch: rejected, the set stays */
	write_file("rules.conf", "[broken\n");
	for (i = 0; i < 1000 && (fs_reload_stats(rl, &st), st.reloads_failed == 0); i++) {
		usleep(10000);
	}
	assert_int_equal(st.reloads_failed, 1);
	assert_int_equal(st.generation, 2);

	/* a request (SIGHUP) reloads at once, whatever the watch saw */
	fs_reload_request(rl);
	for (i = 0; i < 1000 && (fs_reload_stats(rl, &st), st.reloads_failed < 2); i++) {
		usleep(10000);
	}
	assert_int_equal(st.reloads_failed, 2);
	fs_reload_destroy(rl);
}

/* A user lexicon in another directory is watched too, by its own name. */
static void test_watch_user_lexicon(void **state)
{
	fs_reload_opts_t opts;
	fs_reload_t *rl = NULL;
	fs_reload_ref_t *ref;
	char sub[300], user[400], spec[420], errstr[512] = "";
	const char *specs[1] = {spec};
	FILE *fp;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/user", dir);
	snprintf(user, sizeof(user), "%s/mine.tsv", sub);
	snprintf(spec, sizeof(spec), "afinn:%s", user);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_non_null(fp = fopen(user, "w"));
	fputs("zorblax\t5\n", fp);
	assert_int_equal(fclose(fp), 0);
	fs_reload_opts_init(&opts);
	opts.engine.lexicon_dir = dir;
	opts.engine.user_lexicons = specs;
	opts.engine.n_user_lexicons = 1;
	opts.watch = 1;
	opts.debounce_ms = 50;
	assert_int_equal(fs_reload_new(&opts, &rl, errstr, sizeof(errstr)), FS_OK);
	spec[0] = '\0'; /* the options were copied */
	ref = fs_reload_acquire(rl);
	assert_approx(tu_lookup(fs_engine_lexicon(fs_reload_ref_engine(ref)), "zorblax")->valence, 4.0);
	fs_reload_ref_release(ref);

	assert_non_null(fp = fopen(user, "w"));
	fputs("zorblax\t-5\n", fp);
	assert_int_equal(fclose(fp), 0);
	assert_true(wait_generation(rl, 2));
	ref = fs_reload_acquire(rl);
	assert_approx(tu_lookup(fs_engine_lexicon(fs_reload_ref_engine(ref)), "zorblax")->valence, -4.0);
	fs_reload_ref_release(ref);
	fs_reload_destroy(rl);
	unlink(user);
	rmdir(sub);
}

static void test_bad_first_set(void **state)
{
	fs_reload_opts_t opts;
	fs_reload_t *rl = (fs_reload_t *)1;
	char errstr[512] = "", want[600];

	(void)state;
	write_file("emoji.tsv", ":)\t2\n:(\tsad\n");
	fs_reload_opts_init(&opts);
	opts.engine.lexicon_dir = dir;
	assert_int_equal(fs_reload_new(&opts, &rl, errstr, sizeof(errstr)), FS_ERR_PARSE);
	assert_null(rl);
	snprintf(want, sizeof(want), "%s/emoji.tsv:2:", dir);
	assert_prefix(errstr, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_swap_keeps_old_alive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_use_rebinds_scratch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_file_keeps_running_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unchanged_is_noop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_scoring, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_watch_user_lexicon, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_first_set, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
