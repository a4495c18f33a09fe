/*
 * test_rules: unit tests of the regex rules (include/feedsense/rules.h).
 *
 * Covers rules.conf loading and its "file:line:" errors (bad regex, pattern
 * that can match the empty string, unknown category, unknown key, no
 * action, bad valence, duplicate rule name), interned flag names, category
 * ids resolved through the taxonomy, trigger words registered in the
 * lexicon, successive matches with fs_rules_match, the PCRE2 match
 * limit stopping a catastrophic pattern (FS_RULES_LIMIT), and the
 * required-literal prefilter: the literals it finds in patterns, and its
 * promise never to skip a rule that would match, on random patterns and
 * texts and on the shipped rules over the labelled corpus.
 */
#include "testutil.h"

#include "feedsense/buf.h"
#include "feedsense/rules.h"
#include "feedsense/tag.h"
#include "feedsense/text.h"

static const char categories[] = "[delivery]\n"
				 "label = Delivery\n"
				 "terms = delivery, courier\n"
				 "[billing]\n"
				 "label = Billing\n"
				 "terms = invoice\n"
				 "[customer_service]\n"
				 "label = Customer service\n"
				 "terms = agent\n";

typedef struct rstate {
	fs_lexicon_t *lex;
	fs_tags_t *tags;
	fs_rules_t *rules;
	fs_rules_scratch_t *scr;
	char es[512];
} rstate_t;

static int setup(void **state)
{
	rstate_t *st = calloc(1, sizeof(*st));
	char es[256];

	if (!st) {
		return -1;
	}
	st->lex = fs_lexicon_new();
	st->tags = fs_tags_new();
	st->rules = fs_rules_new();
	if (!st->lex || !st->tags || !st->rules ||
	    fs_tags_load(st->tags, st->lex, "categories.conf", categories, strlen(categories), NULL, es, sizeof(es)) !=
		    FS_OK) {
		return -1;
	}
	*state = st;
	return 0;
}

static int teardown(void **state)
{
	rstate_t *st = *state;
	fs_rules_scratch_destroy(st->scr);
	fs_rules_destroy(st->rules);
	fs_tags_destroy(st->tags);
	fs_lexicon_destroy(st->lex);
	free(st);
	return 0;
}

static fs_err_t load(rstate_t *st, const char *data)
{
	st->es[0] = '\0';
	return fs_rules_load(st->rules, st->lex, st->tags, "rules.conf", data, strlen(data), NULL, st->es,
			     sizeof(st->es));
}

static void test_load_valid(void **state)
{
	rstate_t *st = *state;
	const fs_rule_t *r;
	int urgent = fs_rules_flag_find(st->rules, "urgent");
	int churn = fs_rules_flag_find(st->rules, "churn_risk");

	assert_int_equal(load(st, "# rules\n"
				  "[on_hold]\n"
				  "pattern = \\bon hold for (?:\\d+|two) hours?\\b\n"
				  "requires = hold\n"
				  "valence = -2.5\n"
				  "category = customer_service\n"
				  "flag = urgent\n"
				  "\n"
				  "[cancel]\n"
				  "pattern = \\bcancel (?:my )?subscription\\b\n"
				  "requires = cancel, cancell*\n"
				  "flag = churn_risk, urgent\n"
				  "negatable = yes\n"),
			 FS_OK);
	assert_int_equal(fs_rules_count(st->rules), 2);

	r = fs_rules_get(st->rules, 0);
	assert_string_equal(r->name, "on_hold");
	assert_int_equal(r->line, 2);
	assert_true(r->has_valence);
	assert_approx(r->valence, -2.5);
	assert_false(r->negatable);
	assert_false(r->always);
	assert_true(urgent >= 0);
	assert_int_equal(r->flags, 1u << urgent);
	assert_int_equal(r->cats, 1ULL << fs_tags_find(st->tags, "customer_service"));

	r = fs_rules_get(st->rules, 1);
	assert_string_equal(r->name, "cancel");
	assert_int_equal(r->line, 9);
	assert_false(r->has_valence);
	assert_true(r->negatable);
	assert_true(churn >= 0);
	assert_int_equal(r->flags, (1u << churn) | (1u << urgent));
	assert_int_equal(r->cats, 0);
}

static void test_trigger_words_registered(void **state)
{
	rstate_t *st = *state;
	const fs_lexent_t *e;

	assert_int_equal(load(st, "[r0]\npattern = \\bfoo\\b\nrequires = foo\nvalence = -1\n"
				  "[r1]\npattern = \\bbar\\b\nrequires = bar, foo\nvalence = 1\n"),
			 FS_OK);
	assert_int_equal(fs_lexicon_freeze(st->lex), FS_OK);
	e = tu_lookup(st->lex, "foo");
	assert_non_null(e);
	assert_int_equal(e->ntrig, 2);
	assert_int_equal(fs_lexicon_triggers(st->lex, e)[0], 0);
	assert_int_equal(fs_lexicon_triggers(st->lex, e)[1], 1);
	e = tu_lookup(st->lex, "bar");
	assert_non_null(e);
	assert_int_equal(e->ntrig, 1);
	assert_int_equal(fs_lexicon_triggers(st->lex, e)[0], 1);
}

static void test_always_rules(void **state)
{
	rstate_t *st = *state;
	unsigned n = 99;
	const uint32_t *always;

	assert_int_equal(load(st, "[a]\npattern = \\bfoo\\b\nrequires = foo\nvalence = -1\n"
				  "[b]\npattern = \\bbar\\b\nvalence = 1\n"),
			 FS_OK);
	always = fs_rules_always(st->rules, &n);
	assert_int_equal(n, 1);
	assert_int_equal(always[0], 1);
	assert_true(fs_rules_get(st->rules, 1)->always);
	assert_false(fs_rules_get(st->rules, 0)->always);
}

static void test_error_bad_regex(void **state)
{
	rstate_t *st = *state;

	assert_int_equal(load(st, "[ok]\npattern = abc\nvalence = 1\n\n[bad]\npattern = (abc\nvalence = -1\n"),
			 FS_ERR_REGEX);
	assert_prefix(st->es, "rules.conf:6:");
}

static void test_error_empty_match(void **state)
{
	rstate_t *st = *state;

	assert_int_equal(load(st, "[r]\nvalence = -1\npattern = a*\n"), FS_ERR_REGEX);
	assert_prefix(st->es, "rules.conf:3:");

	/* fs_rules_check_pattern agrees */
	assert_int_equal(fs_rules_check_pattern("a*", st->es, sizeof(st->es)), FS_ERR_REGEX);
	assert_int_equal(fs_rules_check_pattern("(?:x|)", st->es, sizeof(st->es)), FS_ERR_REGEX);
	assert_int_equal(fs_rules_check_pattern("\\b", st->es, sizeof(st->es)), FS_ERR_REGEX);
	assert_int_equal(fs_rules_check_pattern("[", st->es, sizeof(st->es)), FS_ERR_REGEX);
	assert_int_equal(fs_rules_check_pattern("a+", st->es, sizeof(st->es)), FS_OK);
}

/* Rules only match: a callout is refused at load with file:line. */
static void test_error_callout(void **state)
{
	rstate_t *st = *state;

	assert_int_equal(load(st, "[ok]\npattern = abc\nvalence = 1\n[r]\nvalence = -1\npattern = a(?C1)b\n"),
			 FS_ERR_REGEX);
	assert_prefix(st->es, "rules.conf:6:");
	assert_non_null(strstr(st->es, "callouts"));
	assert_int_equal(fs_rules_check_pattern("x(?C\"run me\")y", st->es, sizeof(st->es)), FS_ERR_REGEX);
	assert_int_equal(fs_rules_check_pattern("(?C)zz", st->es, sizeof(st->es)), FS_ERR_REGEX);
	/* "(?C" inside a character class or escaped is no callout */
	assert_int_equal(fs_rules_check_pattern("[(?C]x", st->es, sizeof(st->es)), FS_OK);
	assert_int_equal(fs_rules_check_pattern("\\(\\?C1\\)", st->es, sizeof(st->es)), FS_OK);
}

static void test_error_unknown_category(void **state)
{
	rstate_t *st = *state;

	assert_int_equal(load(st, "[r]\npattern = abc\ncategory = delivery, shipping\n"), FS_ERR_PARSE);
	assert_prefix(st->es, "rules.conf:3:");
	assert_contains(st->es, "shipping");
}

static void test_error_unknown_key(void **state)
{
	rstate_t *st = *state;

	assert_int_equal(load(st, "[r]\npattern = abc\nvalence = 1\ncolour = red\n"), FS_ERR_PARSE);
	assert_prefix(st->es, "rules.conf:4:");
	assert_contains(st->es, "colour");
}

static void test_error_no_action(void **state)
{
	rstate_t *st = *state;

	/* the error names the rule's header line */
	assert_int_equal(load(st, "[fine]\npattern = x\nflag = urgent\n\n[idle]\npattern = abc\nrequires = abc\n"),
			 FS_ERR_PARSE);
	assert_prefix(st->es, "rules.conf:5:");
	assert_contains(st->es, "idle");
}

static void test_error_no_pattern(void **state)
{
	rstate_t *st = *state;

	assert_int_equal(load(st, "[r]\nvalence = -1\n"), FS_ERR_PARSE);
	assert_prefix(st->es, "rules.conf:1:");
}

static void test_error_bad_valence(void **state)
{
	rstate_t *st = *state;

	assert_int_equal(load(st, "[r]\npattern = abc\nvalence = very bad\n"), FS_ERR_PARSE);
	assert_prefix(st->es, "rules.conf:3:");
}

static void test_error_valence_out_of_range(void **state)
{
	rstate_t *st = *state;

	assert_int_equal(load(st, "[r]\npattern = abc\n\nvalence = -4.5\n"), FS_ERR_PARSE);
	assert_prefix(st->es, "rules.conf:4:");
}

static void test_error_duplicate_name(void **state)
{
	rstate_t *st = *state;

	assert_int_equal(load(st, "[r]\npattern = abc\nvalence = 1\n[s]\npattern = def\nvalence = 1\n"
				  "[r]\npattern = ghi\nvalence = 1\n"),
			 FS_ERR_PARSE);
	assert_prefix(st->es, "rules.conf:7:");
}

static void test_flags_interned(void **state)
{
	rstate_t *st = *state;
	int vip, urgent;

	assert_int_equal(fs_rules_flag_find(st->rules, "vip"), -1);
	assert_int_equal(load(st, "[a]\npattern = gold\nflag = vip\n"
				  "[b]\npattern = platinum\nflag = vip, urgent\n"
				  "[c]\npattern = silver\nflag = press\n"),
			 FS_OK);
	vip = fs_rules_flag_find(st->rules, "vip");
	urgent = fs_rules_flag_find(st->rules, "urgent");
	assert_true(vip >= 0);
	assert_true(urgent >= 0);
	assert_int_not_equal(vip, urgent);
	assert_string_equal(fs_rules_flag_name(st->rules, (unsigned)vip), "vip");
	/* both rules share one bit for "vip" */
	assert_int_equal(fs_rules_get(st->rules, 0)->flags, 1u << vip);
	assert_int_equal(fs_rules_get(st->rules, 1)->flags, (1u << vip) | (1u << urgent));
	assert_true(fs_rules_flag_find(st->rules, "press") >= 0);
	assert_int_not_equal(fs_rules_flag_find(st->rules, "press"), vip);
	/* the built-in names exist from the start */
	assert_true(fs_rules_flag_find(st->rules, "churn_risk") >= 0);
	assert_true(fs_rules_flag_find(st->rules, "legal_threat") >= 0);
	assert_true(fs_rules_flag_find(st->rules, "safety") >= 0);
	assert_true(fs_rules_flag_find(st->rules, "abusive") >= 0);
	assert_null(fs_rules_flag_name(st->rules, FS_FLAGS_MAX - 1));
}

static void test_categories_via_tags(void **state)
{
	rstate_t *st = *state;
	int billing = fs_tags_find(st->tags, "billing");
	int delivery = fs_tags_find(st->tags, "delivery");

	assert_true(billing >= 0);
	assert_true(delivery >= 0);
	assert_int_equal(load(st, "[late_refund]\npattern = refund\ncategory = billing , delivery\n"), FS_OK);
	assert_int_equal(fs_rules_get(st->rules, 0)->cats, (1ULL << billing) | (1ULL << delivery));
	assert_int_equal(fs_rules_get(st->rules, 0)->flags, 0);
}

static void test_successive_matches(void **state)
{
	rstate_t *st = *state;
	const char *subj = "bad, not bad, badly bad";
	size_t len = strlen(subj), start = 0, ms = 0, me = 0;
	static const size_t want[][2] = {{0, 3}, {9, 12}, {20, 23}};
	size_t k;

	assert_int_equal(load(st, "[bad]\npattern = \\bbad\\b\nvalence = -1\n"), FS_OK);
	st->scr = fs_rules_scratch_new(st->rules);
	assert_non_null(st->scr);
	for (k = 0; k < 3; k++) {
		assert_int_equal(fs_rules_match(st->rules, st->scr, 0, subj, len, start, &ms, &me), FS_RULES_MATCH);
		assert_int_equal(ms, want[k][0]);
		assert_int_equal(me, want[k][1]);
		start = me;
	}
	assert_int_equal(fs_rules_match(st->rules, st->scr, 0, subj, len, start, &ms, &me), FS_RULES_NOMATCH);
	/* starting past the end is no match, not an error */
	assert_int_equal(fs_rules_match(st->rules, st->scr, 0, subj, len, len + 5, &ms, &me), FS_RULES_NOMATCH);
}

static void test_catastrophic_pattern_limit(void **state)
{
	rstate_t *st = *state;
	char subj[64];
	size_t ms = 0, me = 0, k;

	for (k = 0; k < 25; k++) {
		memcpy(subj + 2 * k, "xy", 2);
	}
	subj[50] = '!';
	subj[51] = '\0';
	assert_int_equal(load(st, "[catastrophic]\npattern = ^(?:(?:xy)+)+$\nrequires = xyxy*\nvalence = -1\n"), FS_OK);
	fs_rules_set_limits(st->rules, 10000, 1000);
	st->scr = fs_rules_scratch_new(st->rules);
	assert_non_null(st->scr);
	assert_int_equal(fs_rules_match(st->rules, st->scr, 0, subj, 51, 0, &ms, &me), FS_RULES_LIMIT);
	/* the same rule still matches a text it can decide quickly */
	assert_int_equal(fs_rules_match(st->rules, st->scr, 0, "xyxy", 4, 0, &ms, &me), FS_RULES_MATCH);
	assert_int_equal(ms, 0);
	assert_int_equal(me, 4);
}

static void test_keep_going(void **state)
{
	rstate_t *st = *state;
	fs_diag_t diag = {NULL, NULL, 1, 0, 0};
	const char *data = "[good]\npattern = fine\nvalence = 1\n"
			   "[bad_re]\npattern = (x\nvalence = 1\n"
			   "[bad_cat]\npattern = y\ncategory = nowhere\n"
			   "[good]\npattern = z\nvalence = 1\n";

	assert_int_equal(fs_rules_load(st->rules, st->lex, st->tags, "k.conf", data, strlen(data), &diag, st->es,
				       sizeof(st->es)),
			 FS_OK);
	/* bad regex, its missing pattern, unknown category, no action, duplicate name */
	assert_true(diag.nerrors >= 4);
}

/* The required literals the prefilter finds in one pattern, as
 * fs_rules_required() prints them. */
static const char *required(rstate_t *st, const char *pattern)
{
	static char out[1024];
	char conf[1024];

	fs_rules_destroy(st->rules);
	st->rules = fs_rules_new();
	assert_non_null(st->rules);
	snprintf(conf, sizeof(conf), "[r]\npattern = %s\nvalence = -1\n", pattern);
	assert_int_equal(load(st, conf), FS_OK);
	fs_rules_required(st->rules, 0, out, sizeof(out));
	return out;
}

static void test_prefilter_literals(void **state)
{
	rstate_t *st = *state;

	/* runs of literals multiply out; "on hold for " adds nothing to "on hold " */
	assert_string_equal(required(st, "\\bon hold (?:for )?(?:\\d+|two) hours?\\b"), "(\"on hold \") (\" hour\")");
	/* an optional word: either form, and the shorter one says it all */
	assert_string_equal(required(st, "\\b(?:very )?bad\\b"), "(\"bad\")");
	/* alternatives: one string from each */
	assert_string_equal(required(st, "\\b(?:refund|money back)\\b"), "(\"refund\" | \"money back\")");
	/* a positive lookbehind's text is in the subject too; a negative one requires nothing */
	assert_string_equal(required(st, "(?<=refund )denied"), "(\"refund \") (\"denied\")");
	assert_string_equal(required(st, "(?<!not )denied(?! it)"), "(\"denied\")");
	/* a small class multiplies out, a large one is "anything" */
	assert_string_equal(required(st, "colou?r [sz]ize"),
			    "(\"colour size\" | \"colour zize\" | \"color size\" | \"color zize\")");
	assert_string_equal(required(st, "refund\\w{1,3}ed"), "(\"refund\")");
	/* a branch that requires nothing (two letters are too common) leaves nothing */
	assert_string_equal(required(st, "\\b(?:no|refund)\\b"), "");
	/* \K moves the reported start only; a back reference matches its group's
	 * text again, so it adds nothing (that text was required where the group matched) */
	assert_string_equal(required(st, "waited \\Kfor hours"), "(\"waited for hours\")");
	assert_string_equal(required(st, "(refund) \\1"), "(\"refund \")");
	/* syntax the analysis does not take on leaves the rule without a prefilter */
	assert_string_equal(required(st, "(?i)refund"), "");
	assert_string_equal(required(st, "(refund) \\g1"), "");
	assert_string_equal(required(st, "\\x{72}efund"), "");
	assert_string_equal(required(st, "refund{x}"), "");
}

static void test_prefilter_skips(void **state)
{
	rstate_t *st = *state;
	static const char on_hold[] = "i was on hold for two hours";
	static const char other[] = "i was on hold for a minute";
	size_t ms, me;

	required(st, "\\bon hold (?:for )?(?:\\d+|two) hours?\\b");
	st->scr = fs_rules_scratch_new(st->rules);
	assert_non_null(st->scr);
	/* no subject yet: the rule must run */
	assert_true(fs_rules_may_match(st->rules, st->scr, 0));
	fs_rules_set_subject(st->rules, st->scr, on_hold, strlen(on_hold));
	assert_true(fs_rules_may_match(st->rules, st->scr, 0));
	assert_int_equal(fs_rules_match(st->rules, st->scr, 0, on_hold, strlen(on_hold), 0, &ms, &me), FS_RULES_MATCH);
	fs_rules_set_subject(st->rules, st->scr, other, strlen(other));
	assert_false(fs_rules_may_match(st->rules, st->scr, 0));
	assert_int_equal(fs_rules_match(st->rules, st->scr, 0, other, strlen(other), 0, &ms, &me), FS_RULES_NOMATCH);
}

/* xorshift64, fixed seed: the same patterns and texts on every run */
static uint64_t rnd_state = 0x2545F4914F6CDD1DULL;

static unsigned rnd(unsigned n)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (unsigned)(rnd_state % n);
}

static const char *const words[] = {"on", "hold", "for", "hour", "hours", "wait",  "waiting", "no",   "not", "refund",
				    "it", "a",    "the", "day",  "days",  "still", "size",    "zize", "12"};
#define NWORDS (sizeof(words) / sizeof(words[0]))

/* A random pattern piece from the syntax the rules use. */
static void gen(fs_buf_t *b, unsigned depth)
{
	switch (depth > 3 ? rnd(4) : rnd(16)) {
	case 0: fs_buf_puts(b, words[rnd(NWORDS)]); break;
	case 1: fs_buf_puts(b, " "); break;
	case 2:
		fs_buf_puts(b, words[rnd(NWORDS)]);
		fs_buf_puts(b, " ");
		break;
	case 3: fs_buf_puts(b, rnd(2) ? "\\b" : "[sz]"); break;
	case 4:
		fs_buf_puts(b, "(?:");
		gen(b, depth + 1);
		fs_buf_puts(b, "|");
		gen(b, depth + 1);
		fs_buf_puts(b, ")");
		break;
	case 5:
		fs_buf_puts(b, "(?:");
		gen(b, depth + 1);
		fs_buf_puts(b, ")?");
		break;
	case 6:
		fs_buf_puts(b, "(?:");
		gen(b, depth + 1);
		fs_buf_puts(b, "){1,2}");
		break;
	case 7: fs_buf_puts(b, rnd(2) ? "\\d{1,2}" : "\\w{1,4}"); break;
	case 8:
		fs_buf_puts(b, "(?=");
		gen(b, depth + 1);
		fs_buf_puts(b, ")");
		break;
	case 9:
		fs_buf_puts(b, "(?!");
		gen(b, depth + 1);
		fs_buf_puts(b, ")");
		break;
	case 10:
		fs_buf_puts(b, rnd(2) ? "(?<=" : "(?<!");
		fs_buf_puts(b, words[rnd(NWORDS)]);
		fs_buf_puts(b, " )");
		break;
	case 11: fs_buf_puts(b, rnd(2) ? "." : "[^ ]"); break;
	case 12:
		fs_buf_puts(b, words[rnd(NWORDS)]);
		fs_buf_puts(b, "s?");
		break;
	case 13:
		fs_buf_puts(b, "(?:");
		gen(b, depth + 1);
		fs_buf_puts(b, ")+");
		break;
	default:
		gen(b, depth + 1);
		gen(b, depth + 1);
		break;
	}
}

/*
 * The prefilter's promise on random patterns and texts: whenever a pattern
 * matches, fs_rules_may_match() says it may. Texts are drawn from the same
 * words as the patterns, so that many do match.
 */
static void test_prefilter_never_skips_a_match_random(void **state)
{
	rstate_t *st = *state;
	unsigned p, k, matches = 0, skipped = 0;

	for (p = 0; p < 400; p++) {
		fs_buf_t pat = FS_BUF_INIT, conf = FS_BUF_INIT;
		fs_diag_t diag = {NULL, NULL, 1, 0, 0};
		unsigned parts = 1 + rnd(4);

		while (parts--) {
			gen(&pat, 0);
		}
		fs_buf_printf(&conf, "[r]\npattern = %s\nvalence = -1\n", pat.p);
		fs_rules_scratch_destroy(st->scr);
		st->scr = NULL;
		fs_rules_destroy(st->rules);
		st->rules = fs_rules_new();
		assert_non_null(st->rules);
		assert_int_equal(fs_rules_load(st->rules, st->lex, st->tags, "rules.conf", conf.p, conf.len, &diag,
					       st->es, sizeof(st->es)),
				 FS_OK);
		if (diag.nerrors) { /* matches the empty string: refused */
			fs_buf_free(&pat);
			fs_buf_free(&conf);
			continue;
		}
		st->scr = fs_rules_scratch_new(st->rules);
		assert_non_null(st->scr);
		for (k = 0; k < 200; k++) {
			fs_buf_t text = FS_BUF_INIT;
			unsigned n = 1 + rnd(8);
			size_t ms, me;
			fs_rules_rc_t rc;
			int may;
			while (n--) {
				fs_buf_puts(&text, words[rnd(NWORDS)]);
				fs_buf_puts(&text, rnd(4) ? " " : rnd(2) ? "s " : ", ");
			}
			fs_rules_set_subject(st->rules, st->scr, text.p, text.len);
			may = fs_rules_may_match(st->rules, st->scr, 0);
			rc = fs_rules_match(st->rules, st->scr, 0, text.p, text.len, 0, &ms, &me);
			if (rc == FS_RULES_MATCH && !may) {
				fail_msg("pattern %s matches \"%s\" but the prefilter skips it", pat.p, text.p);
			}
			matches += rc == FS_RULES_MATCH;
			skipped += !may;
			fs_buf_free(&text);
		}
		fs_buf_free(&pat);
		fs_buf_free(&conf);
	}
	/* the test means something only if both happen often */
	assert_true(matches > 2000);
	assert_true(skipped > 2000);
}

/* Every text of the labelled corpus, and each joined to the next. */
static char **corpus_texts(size_t *n)
{
	static const char *files[] = {"tests/data/corpus/apps_social.jsonl", "tests/data/corpus/reviews.jsonl",
				      "tests/data/corpus/surveys.jsonl", "tests/data/corpus/tickets.jsonl"};
	char **texts = NULL;
	size_t i, count = 0, cap = 0;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		fs_buf_t buf = FS_BUF_INIT;
		char es[256], *line, *save = NULL;
		assert_int_equal(fs_buf_read_file(&buf, files[i], es, sizeof(es)), FS_OK);
		for (line = strtok_r(buf.p, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			const char *t = strstr(line, "\"text\":");
			fs_buf_t text = FS_BUF_INIT;
			if (!t || !(t = strchr(t + 7, '"'))) {
				continue;
			}
			/* escaped quotes do not matter here: the text ends at the next quote */
			t++;
			fs_buf_append(&text, t, strcspn(t, "\""));
			if (!text.p) {
				continue;
			}
			if (count + 2 > cap) {
				cap = cap ? cap * 2 : 1024;
				texts = realloc(texts, cap * sizeof(*texts));
				assert_non_null(texts);
			}
			if (count) {
				fs_buf_t joined = FS_BUF_INIT;
				fs_buf_puts(&joined, texts[count - 1]);
				fs_buf_putc(&joined, ' ');
				fs_buf_puts(&joined, text.p);
				texts[count++] = joined.p;
			}
			texts[count++] = text.p;
		}
		fs_buf_free(&buf);
	}
	*n = count;
	return texts;
}

/*
 * The same promise for the shipped rules over our corpus: no rule that
 * matches a text is ever skipped, and the prefilter skips most of the rules
 * that do not match (else it is not worth its keep).
 */
static void test_prefilter_shipped_rules_corpus(void **state)
{
	const char *dir = getenv("FEEDSENSE_LEXICONS") ? getenv("FEEDSENSE_LEXICONS") : "lexicons";
	fs_engine_opts_t opts;
	fs_engine_t *engine;
	fs_rules_scratch_t *scr;
	const fs_rules_t *rules;
	fs_text_t text;
	char es[512], **texts;
	size_t ntexts, i, ms, me;
	unsigned id, n, matches = 0, nomatch = 0, skipped = 0;

	(void)state;
	fs_engine_opts_init(&opts);
	opts.lexicon_dir = dir;
	assert_int_equal(fs_engine_new(&opts, &engine, es, sizeof(es)), FS_OK);
	rules = fs_engine_rules(engine);
	n = fs_rules_count(rules);
	scr = fs_rules_scratch_new(rules);
	assert_non_null(scr);
	fs_text_init(&text);
	texts = corpus_texts(&ntexts);
	assert_true(ntexts > 3000);
	for (i = 0; i < ntexts; i++) {
		size_t errpos;
		if (fs_text_process(&text, texts[i], strlen(texts[i]), &errpos) != FS_OK) {
			continue;
		}
		fs_rules_set_subject(rules, scr, text.norm, text.norm_len);
		for (id = 0; id < n; id++) {
			int may = fs_rules_may_match(rules, scr, id);
			fs_rules_rc_t rc = fs_rules_match(rules, scr, id, text.norm, text.norm_len, 0, &ms, &me);
			if (rc == FS_RULES_MATCH && !may) {
				fail_msg("rule %s matches \"%s\" but the prefilter skips it",
					 fs_rules_get(rules, id)->name, text.norm);
			}
			matches += rc == FS_RULES_MATCH;
			nomatch += rc != FS_RULES_MATCH;
			skipped += !may;
		}
		free(texts[i]);
	}
	free(texts);
	assert_true(matches > 1000);
	assert_true(skipped > nomatch / 2);
	fs_text_free(&text);
	fs_rules_scratch_destroy(scr);
	fs_engine_destroy(engine);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_load_valid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trigger_words_registered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_always_rules, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_error_bad_regex, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_error_empty_match, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_error_callout, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_error_unknown_category, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_error_unknown_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_error_no_action, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_error_no_pattern, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_error_bad_valence, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_error_valence_out_of_range, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_error_duplicate_name, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_flags_interned, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_categories_via_tags, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_successive_matches, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_catastrophic_pattern_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keep_going, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prefilter_literals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prefilter_skips, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prefilter_never_skips_a_match_random, setup, teardown),
	    cmocka_unit_test(test_prefilter_shipped_rules_corpus),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
