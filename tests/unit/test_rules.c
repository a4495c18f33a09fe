/*
 * test_rules: unit tests of the regex rules (include/feedsense/rules.h).
 *
 * Covers rules.conf loading and its "file:line:" errors (bad regex, pattern
 * that can match the empty string, unknown category, unknown key, no
 * action, bad valence, duplicate rule name), interned flag names, category
 * ids resolved through the taxonomy, trigger words registered in the
 * lexicon, successive matches with fs_rules_match, and the PCRE2 match
 * limit stopping a catastrophic pattern (FS_RULES_LIMIT).
 */
#include "testutil.h"

#include "feedsense/rules.h"
#include "feedsense/tag.h"

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
