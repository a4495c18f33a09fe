/*
 * test_lexicon: unit tests of the lexicon table loaders
 * (include/feedsense/lexicon.h) and of the key = value conf parser
 * (include/feedsense/conf.h).
 *
 * Covers loading from memory (native, AFINN and VADER formats), phrase key
 * normalisation, "name:line:" error messages (missing TAB, non-number,
 * out of range, conflicting duplicates), duplicate warnings through
 * fs_diag_t, overrides by later files, the modifiers file, keep-going
 * diagnostics, prefix triggers, and conf line numbers and errors.
 */
#include "testutil.h"

#include "feedsense/conf.h"
#include "feedsense/text.h"

typedef struct diag_log {
	unsigned nerr, nwarn;
	char last[512];
} diag_log_t;

static void diag_cb(void *opaque, int is_error, const char *msg)
{
	diag_log_t *d = opaque;
	if (is_error) {
		d->nerr++;
	} else {
		d->nwarn++;
	}
	snprintf(d->last, sizeof(d->last), "%s", msg);
}

static int setup(void **state)
{
	fs_lexicon_t *lex = fs_lexicon_new();
	if (!lex) {
		return -1;
	}
	*state = lex;
	return 0;
}

static int teardown(void **state)
{
	fs_lexicon_destroy(*state);
	return 0;
}

static fs_err_t load(fs_lexicon_t *lex, const char *name, const char *data, fs_lexfmt_t fmt, fs_diag_t *diag,
		     char *errstr, size_t errstr_size)
{
	return fs_lexicon_load(lex, name, data, strlen(data), fmt, diag, errstr, errstr_size);
}

static fs_err_t load_mods(fs_lexicon_t *lex, const char *name, const char *data, fs_diag_t *diag, char *errstr,
			  size_t errstr_size)
{
	return fs_lexicon_load_modifiers(lex, name, data, strlen(data), diag, errstr, errstr_size);
}

static void test_load_valid(void **state)
{
	fs_lexicon_t *lex = *state;
	char es[256] = "";
	const fs_lexent_t *e;
	const char *data = "# general words\n"
			   "\n"
			   "good\t2.0\n"
			   "bad\t-2\n"
			   "meh\t-0.5\textra column ignored\n"
			   "waste of money\t-3.0\n"
			   "Crème\t1.25\r\n";

	assert_int_equal(load(lex, "sentiment.tsv", data, FS_LEXFMT_NATIVE, NULL, es, sizeof(es)), FS_OK);
	assert_int_equal(fs_lexicon_count(lex), 5);

	e = tu_lookup(lex, "good");
	assert_non_null(e);
	assert_true(e->has_valence);
	assert_approx(e->valence, 2.0);
	assert_int_equal(e->line, 3);
	assert_int_equal(e->ntoks, 1);
	assert_string_equal(fs_lexicon_file_name(lex, e->file), "sentiment.tsv");

	e = tu_lookup(lex, "bad");
	assert_non_null(e);
	assert_approx(e->valence, -2.0);

	e = tu_lookup(lex, "meh");
	assert_non_null(e);
	assert_approx(e->valence, -0.5);

	e = tu_lookup(lex, "waste of money");
	assert_non_null(e);
	assert_approx(e->valence, -3.0);
	assert_int_equal(e->ntoks, 3);
	assert_int_equal(e->line, 6);

	/* keys are lower-cased like text; the CR of a CRLF line is dropped */
	e = tu_lookup(lex, "cr\xC3\xA8me");
	assert_non_null(e);
	assert_approx(e->valence, 1.25);

	assert_null(tu_lookup(lex, "money"));
	assert_null(tu_lookup(lex, "Good"));
}

static void test_phrase_key_normalised(void **state)
{
	fs_lexicon_t *lex = *state;
	char es[256] = "";
	const fs_lexent_t *e;

	assert_int_equal(load(lex, "a.tsv", "Rip-Off\t-2.5\n", FS_LEXFMT_NATIVE, NULL, es, sizeof(es)), FS_OK);
	e = tu_lookup(lex, "rip off");
	assert_non_null(e);
	assert_approx(e->valence, -2.5);
	assert_int_equal(e->ntoks, 2);
	assert_int_equal(fs_lexicon_count(lex), 1);
}

static void test_phrase_key_same_key_in_one_file(void **state)
{
	fs_lexicon_t *lex = *state;
	char es[256] = "";
	diag_log_t log = {0};
	fs_diag_t diag = {diag_cb, &log, 0, 0, 0};

	/* "Rip-Off", "rip off" and "RIP   OFF" are one key: same value is only a warning */
	assert_int_equal(load(lex, "a.tsv", "Rip-Off\t-2.5\nrip off\t-2.5\nRIP   OFF\t-2.5\n", FS_LEXFMT_NATIVE, &diag,
			      es, sizeof(es)),
			 FS_OK);
	assert_int_equal(fs_lexicon_count(lex), 1);
	assert_int_equal(diag.nwarnings, 2);
	assert_int_equal(diag.nerrors, 0);

	/* a different value for the same key in the same file is an error */
	assert_int_equal(load(lex, "b.tsv", "rip off\t-2.5\nrip-off\t-3\n", FS_LEXFMT_NATIVE, NULL, es, sizeof(es)),
			 FS_ERR_PARSE);
	assert_prefix(es, "b.tsv:2:");
}

/* a phrase never matches across clause punctuation: a term with one inside is
 * loaded (without it) and said as a warning naming the file, line and mark */
static void test_phrase_with_punctuation_warns(void **state)
{
	fs_lexicon_t *lex = *state;
	char es[256] = "";
	diag_log_t log = {0};
	fs_diag_t diag = {diag_cb, &log, 0, 0, 0};

	assert_int_equal(load(lex, "p.tsv", "rip-off\t-2\nwow!\t2\nnothing more, nothing less\t1.5\n", FS_LEXFMT_NATIVE,
			      &diag, es, sizeof(es)),
			 FS_OK);
	assert_int_equal(diag.nwarnings, 1);
	assert_int_equal(diag.nerrors, 0);
	assert_prefix(log.last, "p.tsv:3: 'nothing more, nothing less': phrases never match across ','");
	assert_non_null(strstr(log.last, "('nothing more nothing less')"));
	assert_non_null(tu_lookup(lex, "nothing more nothing less"));

	assert_int_equal(load_mods(lex, "m.tsv", "# c\nvery\tbooster\t0.3\nall in all - meh\tverdict\n", &diag, es,
				   sizeof(es)),
			 FS_OK);
	assert_int_equal(diag.nwarnings, 2);
	assert_prefix(log.last, "m.tsv:3: 'all in all - meh': phrases never match across '-'");
}

/* an irony mark is an emoji with a modifier kind of its own; its valence stays the emoji file's */
static void test_irony_modifier(void **state)
{
	fs_lexicon_t *lex = *state;
	char es[256] = "";
	const fs_lexent_t *e;

	assert_int_equal(load(lex, "e.tsv", "\xF0\x9F\x99\x83\t-1.5\n", FS_LEXFMT_NATIVE, NULL, es, sizeof(es)), FS_OK);
	assert_int_equal(load_mods(lex, "m.tsv", "\xF0\x9F\x99\x83\tirony\n", NULL, es, sizeof(es)), FS_OK);
	e = tu_lookup(lex, "\xF0\x9F\x99\x83");
	assert_non_null(e);
	assert_int_equal(e->mod, FS_MOD_IRONY);
	assert_true(e->has_valence);
	assert_float_equal(e->valence, -1.5f, 1e-6);
	/* an unknown kind names the known ones, irony among them */
	assert_int_equal(load_mods(lex, "m2.tsv", "x\tsarcasm\n", NULL, es, sizeof(es)), FS_ERR_PARSE);
	assert_prefix(es, "m2.tsv:1: unknown modifier kind 'sarcasm'");
	assert_non_null(strstr(es, "verdict, irony)"));
}

static void test_error_missing_tab(void **state)
{
	char es[256] = "";

	assert_int_equal(load(*state, "x.tsv", "good\t2\nbad -2\n", FS_LEXFMT_NATIVE, NULL, es, sizeof(es)),
			 FS_ERR_PARSE);
	assert_prefix(es, "x.tsv:2:");
}

static void test_error_not_a_number(void **state)
{
	char es[256] = "";

	assert_int_equal(load(*state, "x.tsv", "# c\ngood\ttwo\n", FS_LEXFMT_NATIVE, NULL, es, sizeof(es)),
			 FS_ERR_PARSE);
	assert_prefix(es, "x.tsv:2:");

	assert_int_equal(load(*state, "y.tsv", "good\t2x\n", FS_LEXFMT_NATIVE, NULL, es, sizeof(es)), FS_ERR_PARSE);
	assert_prefix(es, "y.tsv:1:");

	assert_int_equal(load(*state, "z.tsv", "good\t\n", FS_LEXFMT_NATIVE, NULL, es, sizeof(es)), FS_ERR_PARSE);
	assert_prefix(es, "z.tsv:1:");
}

static void test_error_out_of_range(void **state)
{
	char es[256] = "";

	assert_int_equal(load(*state, "x.tsv", "good\t2\n\ngreat\t5\n", FS_LEXFMT_NATIVE, NULL, es, sizeof(es)),
			 FS_ERR_PARSE);
	assert_prefix(es, "x.tsv:3:");

	assert_int_equal(load(*state, "y.tsv", "awful\t-4.01\n", FS_LEXFMT_NATIVE, NULL, es, sizeof(es)),
			 FS_ERR_PARSE);
	assert_prefix(es, "y.tsv:1:");

	/* the bounds themselves are allowed */
	assert_int_equal(load(*state, "z.tsv", "best\t4\nworst\t-4\n", FS_LEXFMT_NATIVE, NULL, es, sizeof(es)), FS_OK);
}

static void test_duplicate_different_value_error(void **state)
{
	char es[256] = "";
	diag_log_t log = {0};
	fs_diag_t diag = {diag_cb, &log, 0, 0, 0};

	assert_int_equal(
		load(*state, "dup.tsv", "good\t2\nbad\t-2\ngood\t3\n", FS_LEXFMT_NATIVE, &diag, es, sizeof(es)),
		FS_ERR_PARSE);
	assert_prefix(es, "dup.tsv:3:");
	assert_int_equal(diag.nerrors, 1);
}

static void test_duplicate_same_value_warning(void **state)
{
	fs_lexicon_t *lex = *state;
	char es[256] = "";
	diag_log_t log = {0};
	fs_diag_t diag = {diag_cb, &log, 0, 0, 0};

	assert_int_equal(load(lex, "dup.tsv", "good\t2\nbad\t-2\ngood\t2.0\n", FS_LEXFMT_NATIVE, &diag, es, sizeof(es)),
			 FS_OK);
	assert_int_equal(diag.nwarnings, 1);
	assert_int_equal(diag.nerrors, 0);
	assert_int_equal(log.nwarn, 1);
	assert_prefix(log.last, "dup.tsv:3:");
	assert_approx(tu_lookup(lex, "good")->valence, 2.0);

	/* without a diag sink the duplicate is silently accepted */
	assert_int_equal(load(lex, "dup2.tsv", "ok\t1\nok\t1\n", FS_LEXFMT_NATIVE, NULL, es, sizeof(es)), FS_OK);
}

static void test_later_file_overrides(void **state)
{
	fs_lexicon_t *lex = *state;
	char es[256] = "";
	const fs_lexent_t *e;

	assert_int_equal(load(lex, "sentiment.tsv", "good\t2\nslow\t-1\n", FS_LEXFMT_NATIVE, NULL, es, sizeof(es)),
			 FS_OK);
	assert_int_equal(load(lex, "domain.tsv", "# override\nslow\t-2.5\n", FS_LEXFMT_NATIVE, NULL, es, sizeof(es)),
			 FS_OK);
	e = tu_lookup(lex, "slow");
	assert_non_null(e);
	assert_approx(e->valence, -2.5);
	assert_string_equal(fs_lexicon_file_name(lex, e->file), "domain.tsv");
	assert_int_equal(e->line, 2);
	assert_approx(tu_lookup(lex, "good")->valence, 2.0);
	assert_int_equal(fs_lexicon_count(lex), 2);
}

static void test_afinn_format(void **state)
{
	fs_lexicon_t *lex = *state;
	char es[256] = "";

	/* AFINN -5..5 is rescaled by 4/5 */
	assert_int_equal(load(lex, "afinn.txt", "superb\t5\nawful\t-5\nok\t1\n", FS_LEXFMT_AFINN, NULL, es, sizeof(es)),
			 FS_OK);
	assert_approx(tu_lookup(lex, "superb")->valence, 4.0);  /* 5 * 4/5 */
	assert_approx(tu_lookup(lex, "awful")->valence, -4.0);  /* -5 * 4/5 */
	assert_approx(tu_lookup(lex, "ok")->valence, 0.8);      /* 1 * 4/5 */

	assert_int_equal(load(lex, "afinn2.txt", "x\t6\n", FS_LEXFMT_AFINN, NULL, es, sizeof(es)), FS_ERR_PARSE);
	assert_prefix(es, "afinn2.txt:1:");
}

static void test_vader_format(void **state)
{
	fs_lexicon_t *lex = *state;
	char es[256] = "";

	assert_int_equal(load(lex, "vader.txt", "good\t1.9\t0.9434\t[2, 1, 2, 3, 2, 1, 2, 3, 2, 1]\n"
					       "bad\t-2.5\t0.67082\t[-3, -2, -3]\n",
			      FS_LEXFMT_VADER, NULL, es, sizeof(es)),
			 FS_OK);
	assert_approx(tu_lookup(lex, "good")->valence, 1.9);
	assert_approx(tu_lookup(lex, "bad")->valence, -2.5);

	/* VADER is on the native scale: 5 is out of range */
	assert_int_equal(load(lex, "vader2.txt", "great\t4.5\t0.5\t[4]\n", FS_LEXFMT_VADER, NULL, es, sizeof(es)),
			 FS_ERR_PARSE);
	assert_prefix(es, "vader2.txt:1:");
}

static void test_modifiers_valid(void **state)
{
	fs_lexicon_t *lex = *state;
	char es[256] = "";
	const fs_lexent_t *e;

	assert_int_equal(load_mods(lex, "modifiers.tsv",
				   "very\tbooster\t0.3\nslightly\tbooster\t-0.3\nnot\tnegator\nno longer\tnegator\n"
				   "but\tcontrast\nalthough\tconcessive\nplease\tpolite\nhow\tinterrogative\n"
				   "if\thypothetical\nnot only\tignore\n",
				   NULL, es, sizeof(es)),
			 FS_OK);
	e = tu_lookup(lex, "very");
	assert_non_null(e);
	assert_int_equal(e->mod, FS_MOD_BOOSTER);
	assert_approx(e->modval, 0.3);
	assert_false(e->has_valence);
	e = tu_lookup(lex, "slightly");
	assert_int_equal(e->mod, FS_MOD_BOOSTER);
	assert_approx(e->modval, -0.3);
	assert_int_equal(tu_lookup(lex, "not")->mod, FS_MOD_NEGATOR);
	assert_int_equal(tu_lookup(lex, "no longer")->mod, FS_MOD_NEGATOR);
	assert_int_equal(tu_lookup(lex, "no longer")->ntoks, 2);
	assert_int_equal(tu_lookup(lex, "but")->mod, FS_MOD_CONTRAST);
	assert_int_equal(tu_lookup(lex, "although")->mod, FS_MOD_CONCESSIVE);
	assert_int_equal(tu_lookup(lex, "please")->mod, FS_MOD_POLITE);
	assert_int_equal(tu_lookup(lex, "how")->mod, FS_MOD_INTERROGATIVE);
	assert_int_equal(tu_lookup(lex, "if")->mod, FS_MOD_HYPOTHETICAL);
	assert_int_equal(tu_lookup(lex, "not only")->mod, FS_MOD_IGNORE);
	/* modifiers carry no valence */
	assert_int_equal(fs_lexicon_count(lex), 0);
}

static void test_modifiers_unknown_kind(void **state)
{
	char es[256] = "";

	assert_int_equal(load_mods(*state, "m.tsv", "very\tbooster\t0.3\nmaybe\tperhaps\n", NULL, es, sizeof(es)),
			 FS_ERR_PARSE);
	assert_prefix(es, "m.tsv:2:");
}

static void test_modifiers_booster_without_value(void **state)
{
	char es[256] = "";

	assert_int_equal(load_mods(*state, "m.tsv", "# boosters\nvery\tbooster\n", NULL, es, sizeof(es)),
			 FS_ERR_PARSE);
	assert_prefix(es, "m.tsv:2:");

	assert_int_equal(load_mods(*state, "m2.tsv", "very\tbooster\tlots\n", NULL, es, sizeof(es)), FS_ERR_PARSE);
	assert_prefix(es, "m2.tsv:1:");
}

static void test_modifiers_booster_out_of_range(void **state)
{
	char es[256] = "";

	assert_int_equal(load_mods(*state, "m.tsv", "very\tbooster\t1.5\n", NULL, es, sizeof(es)), FS_ERR_PARSE);
	assert_prefix(es, "m.tsv:1:");

	assert_int_equal(load_mods(*state, "m2.tsv", "barely\tbooster\t-1.01\n", NULL, es, sizeof(es)), FS_ERR_PARSE);
	assert_prefix(es, "m2.tsv:1:");
}

static void test_keep_going_counts_errors(void **state)
{
	fs_lexicon_t *lex = *state;
	char es[256] = "";
	diag_log_t log = {0};
	fs_diag_t diag = {diag_cb, &log, 1, 0, 0};
	const char *data = "good\t2\n"      /* 1 ok */
			   "bad -2\n"       /* 2 no TAB */
			   "great\tvery\n"  /* 3 not a number */
			   "best\t9\n"      /* 4 out of range */
			   "good\t3\n"      /* 5 conflicting duplicate */
			   "happy\t2\n";    /* 6 ok */

	assert_int_equal(load(lex, "k.tsv", data, FS_LEXFMT_NATIVE, &diag, es, sizeof(es)), FS_OK);
	assert_int_equal(diag.nerrors, 4);
	assert_int_equal(log.nerr, 4);
	/* bad lines are skipped, good ones kept */
	assert_non_null(tu_lookup(lex, "good"));
	assert_approx(tu_lookup(lex, "good")->valence, 2.0);
	assert_non_null(tu_lookup(lex, "happy"));
	assert_null(tu_lookup(lex, "great"));
	assert_null(tu_lookup(lex, "best"));
}

static void test_keep_going_modifiers(void **state)
{
	fs_lexicon_t *lex = *state;
	char es[256] = "";
	diag_log_t log = {0};
	fs_diag_t diag = {diag_cb, &log, 1, 0, 0};
	const char *data = "very\tbooster\n"    /* 1 booster without value */
			   "hmm\tperhaps\n"     /* 2 unknown kind */
			   "so\tbooster\t3\n"   /* 3 out of range */
			   "not\tnegator\n"     /* 4 ok */
			   "really\n";          /* 5 no TAB */

	assert_int_equal(load_mods(lex, "km.tsv", data, &diag, es, sizeof(es)), FS_OK);
	assert_int_equal(diag.nerrors, 4);
	assert_int_equal(log.nerr, 4);
	assert_non_null(tu_lookup(lex, "not"));
	assert_int_equal(tu_lookup(lex, "not")->mod, FS_MOD_NEGATOR);
	/* bad lines are skipped: none of their terms is defined */
	assert_null(tu_lookup(lex, "very"));
	assert_null(tu_lookup(lex, "hmm"));
	assert_null(tu_lookup(lex, "so"));
	assert_null(tu_lookup(lex, "really"));
}

typedef struct prefix_hits {
	unsigned n;
	const fs_lexent_t *ent;
} prefix_hits_t;

static void on_prefix(void *opaque, const fs_lexent_t *ent)
{
	prefix_hits_t *h = opaque;
	h->n++;
	h->ent = ent;
}

static void test_prefix_trigger(void **state)
{
	fs_lexicon_t *lex = *state;
	char es[256] = "";
	prefix_hits_t h = {0, NULL};
	const uint32_t trig = FS_TRIG_CATEGORY | 3u;

	assert_int_equal(fs_lexicon_add_trigger(lex, "deliver*", 8, trig, es, sizeof(es)), FS_OK);
	assert_int_equal(fs_lexicon_freeze(lex), FS_OK);

	fs_lexicon_prefixes(lex, "delivered", 9, on_prefix, &h);
	assert_int_equal(h.n, 1);
	assert_non_null(h.ent);
	assert_int_equal(h.ent->ntrig, 1);
	assert_int_equal(fs_lexicon_triggers(lex, h.ent)[0], trig);
	assert_true(tu_streq_n(fs_lexicon_key(lex, h.ent), h.ent->keylen, "deliver"));

	h.n = 0;
	fs_lexicon_prefixes(lex, "delivery", 8, on_prefix, &h);
	assert_int_equal(h.n, 1);

	h.n = 0;
	fs_lexicon_prefixes(lex, "deli", 4, on_prefix, &h);
	assert_int_equal(h.n, 0);

	h.n = 0;
	fs_lexicon_prefixes(lex, "delicious", 9, on_prefix, &h);
	assert_int_equal(h.n, 0);

	/* a prefix is not a whole-word entry */
	assert_null(tu_lookup(lex, "delivered"));
}

static void test_word_trigger(void **state)
{
	fs_lexicon_t *lex = *state;
	char es[256] = "";
	const fs_lexent_t *e;

	assert_int_equal(fs_lexicon_add_trigger(lex, " Tracking Number ", 17, 7, es, sizeof(es)), FS_OK);
	assert_int_equal(fs_lexicon_add_trigger(lex, "courier", 7, 7, es, sizeof(es)), FS_OK);
	assert_int_equal(fs_lexicon_add_trigger(lex, "courier", 7, 9, es, sizeof(es)), FS_OK);
	assert_int_equal(fs_lexicon_add_trigger(lex, "...", 3, 1, es, sizeof(es)), FS_ERR_PARSE);
	assert_int_equal(fs_lexicon_freeze(lex), FS_OK);

	e = tu_lookup(lex, "tracking number");
	assert_non_null(e);
	assert_int_equal(e->ntrig, 1);
	assert_int_equal(fs_lexicon_triggers(lex, e)[0], 7);
	/* the first word of a phrase knows how long phrases starting with it are */
	e = tu_lookup(lex, "tracking");
	assert_non_null(e);
	assert_int_equal(e->phrase_max, 2);

	e = tu_lookup(lex, "courier");
	assert_non_null(e);
	assert_int_equal(e->ntrig, 2);
	assert_int_equal(fs_lexicon_triggers(lex, e)[0], 7);
	assert_int_equal(fs_lexicon_triggers(lex, e)[1], 9);
}

/* ---- conf parser ---- */

typedef struct conf_ev {
	char section[32], key[32], value[64];
	int has_key;
	unsigned line;
} conf_ev_t;

typedef struct conf_log {
	conf_ev_t ev[16];
	unsigned n;
	unsigned fail_at; /* line at which the callback fails, 0 never */
} conf_log_t;

static fs_err_t conf_cb(void *opaque, const char *section, const char *key, const char *value, unsigned line,
			char *errstr, size_t errstr_size)
{
	conf_log_t *c = opaque;
	conf_ev_t *e;

	if (c->fail_at && line == c->fail_at) {
		return fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "cb:%u: rejected", line);
	}
	if (c->n == 16) {
		return FS_ERR_NOMEM;
	}
	e = &c->ev[c->n++];
	snprintf(e->section, sizeof(e->section), "%s", section);
	e->has_key = key != NULL;
	snprintf(e->key, sizeof(e->key), "%s", key ? key : "");
	snprintf(e->value, sizeof(e->value), "%s", value ? value : "");
	e->line = line;
	return FS_OK;
}

static void assert_ev(const conf_ev_t *e, const char *section, const char *key, const char *value, unsigned line)
{
	assert_string_equal(e->section, section);
	assert_int_equal(e->has_key, key != NULL);
	if (key) {
		assert_string_equal(e->key, key);
		assert_string_equal(e->value, value);
	}
	assert_int_equal(e->line, line);
}

static void test_conf_lines(void **state)
{
	conf_log_t c;
	char es[256] = "";
	const char *data = "# comment\n"          /* 1 */
			   "[first]\n"            /* 2 */
			   "a = 1\n"              /* 3 */
			   "  b=two words  \n"    /* 4 */
			   "\n"                   /* 5 */
			   "; other comment\n"    /* 6 */
			   "[ second ]\r\n"       /* 7 */
			   "a = x = y\n"          /* 8 */
			   "a = again\n"          /* 9 */
			   "empty =\n";           /* 10 */

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(fs_conf_parse("t.conf", data, strlen(data), conf_cb, &c, es, sizeof(es)), FS_OK);
	assert_int_equal(c.n, 7);
	assert_ev(&c.ev[0], "first", NULL, NULL, 2);
	assert_ev(&c.ev[1], "first", "a", "1", 3);
	assert_ev(&c.ev[2], "first", "b", "two words", 4);
	assert_ev(&c.ev[3], "second", NULL, NULL, 7);
	assert_ev(&c.ev[4], "second", "a", "x = y", 8);
	assert_ev(&c.ev[5], "second", "a", "again", 9);
	assert_ev(&c.ev[6], "second", "empty", "", 10);
}

static void test_conf_expected_key_value(void **state)
{
	conf_log_t c;
	char es[256] = "";
	const char *data = "[s]\nk = v\n\njust some words\nz = 1\n";

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(fs_conf_parse("bad.conf", data, strlen(data), conf_cb, &c, es, sizeof(es)), FS_ERR_PARSE);
	assert_string_equal(es, "bad.conf:4: expected key = value");
	/* nothing after the bad line is delivered */
	assert_int_equal(c.n, 2);
}

static void test_conf_other_errors(void **state)
{
	conf_log_t c;
	char es[256] = "";

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_int_equal(fs_conf_parse("h.conf", "[ok]\n[broken\n", 13, conf_cb, &c, es, sizeof(es)), FS_ERR_PARSE);
	assert_prefix(es, "h.conf:2:");

	memset(&c, 0, sizeof(c));
	assert_int_equal(fs_conf_parse("k.conf", "[s]\n = v\n", 9, conf_cb, &c, es, sizeof(es)), FS_ERR_PARSE);
	assert_prefix(es, "k.conf:2:");

	/* the callback's error and message are passed through */
	memset(&c, 0, sizeof(c));
	c.fail_at = 3;
	assert_int_equal(fs_conf_parse("c.conf", "[s]\na = 1\nb = 2\nc = 3\n", 22, conf_cb, &c, es, sizeof(es)),
			 FS_ERR_PARSE);
	assert_string_equal(es, "cb:3: rejected");
	assert_int_equal(c.n, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_load_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_phrase_key_normalised, setup, teardown),
		cmocka_unit_test_setup_teardown(test_phrase_key_same_key_in_one_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_missing_tab, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_not_a_number, setup, teardown),
		cmocka_unit_test_setup_teardown(test_error_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_different_value_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_same_value_warning, setup, teardown),
		cmocka_unit_test_setup_teardown(test_later_file_overrides, setup, teardown),
		cmocka_unit_test_setup_teardown(test_afinn_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vader_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modifiers_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modifiers_unknown_kind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modifiers_booster_without_value, setup, teardown),
		cmocka_unit_test_setup_teardown(test_modifiers_booster_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_going_counts_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_keep_going_modifiers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prefix_trigger, setup, teardown),
		cmocka_unit_test_setup_teardown(test_word_trigger, setup, teardown),
		cmocka_unit_test_setup_teardown(test_phrase_with_punctuation_warns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_irony_modifier, setup, teardown),
		cmocka_unit_test(test_conf_lines),
		cmocka_unit_test(test_conf_expected_key_value),
		cmocka_unit_test(test_conf_other_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
