/*
 * test_score: unit tests of the scoring engine (include/feedsense/score.h)
 * with the fixture lexicons of tests/unit/fixtures/lex.
 *
 * Every expected value is computed by hand from the fixture valences and the
 * constants of pipeline/score.c, with the arithmetic in a comment:
 *   NEG_POS_SCALAR -0.75, NEG_NEG_SCALAR -0.5, CAPS_INCR 0.733,
 *   ELONG_INCR 0.3, EXCL_INCR 0.292 (at most 4), QM_INCR 0.18 (0.96 above 3),
 *   contrast 0.5 before / 1.5 after, concession 0.5 inside / 1.5 outside,
 *   hypothetical 0.3, neutral question 0.1, balanced verdict 0.05,
 *   booster decay 1 / 0.95 / 0.9,
 *   long texts divided by sqrt(sentences / 3) above 3 sentences,
 *   compound = s / sqrt(s^2 + 15).
 *
 * Covers single terms, negation (incl. multi-word and typographic), double
 * negation, boosters and dampeners, capitals, elongation, "!" and "??",
 * contrast (and a contrast word ending a sentence), concession, hypotheticals,
 * question damping, balanced verdicts, irony marks (praise turned over),
 * politeness (also after a request), idioms,
 * "ignore" phrases, emoji and emoticons, regex rules (valence, flags,
 * categories, negatable rules, covered words, PCRE2 limit), per-category
 * sentiment, labels, proportions, explanation offsets, long texts, invalid
 * UTF-8, empty text, scratch reuse and a 200 KB text.
 */
#include "testutil.h"

#include "feedsense/rules.h"
#include "feedsense/tag.h"

TU_ENGINE_FIXTURE()

/* Score a NUL-terminated text; require FS_OK. */
static const fs_result_t *score(const char *text)
{
	const fs_result_t *res = NULL;
	size_t errpos = SIZE_MAX;

	assert_int_equal(fs_score(engine, scratch, text, strlen(text), &res, &errpos), FS_OK);
	assert_non_null(res);
	return res;
}

/* Sum of the final contributions of all explanation items. */
static double total_of(const fs_result_t *res)
{
	double s = 0;
	size_t k;
	for (k = 0; k < res->nexplain; k++) {
		s += res->explain[k].score;
	}
	return s;
}

/* The explanation item for lexicon key / rule name @p what, or NULL. */
static const fs_explain_t *item(const fs_result_t *res, const char *what)
{
	size_t k;
	for (k = 0; k < res->nexplain; k++) {
		if (tu_streq_n(res->explain[k].what, res->explain[k].what_len, what)) {
			return &res->explain[k];
		}
	}
	print_error("no explanation item \"%s\"\n", what);
	return NULL;
}

/* The explanation item of kind @p kind, or NULL. */
static const fs_explain_t *item_kind(const fs_result_t *res, int kind)
{
	size_t k;
	for (k = 0; k < res->nexplain; k++) {
		if (res->explain[k].kind == kind) {
			return &res->explain[k];
		}
	}
	return NULL;
}

static const fs_cat_result_t *cat(const fs_result_t *res, const char *name)
{
	int id = fs_tags_find(fs_engine_tags(engine), name);
	size_t k;
	for (k = 0; id >= 0 && k < res->ncats; k++) {
		if (res->cats[k].id == (unsigned)id) {
			return &res->cats[k];
		}
	}
	return NULL;
}

static int has_flag(const fs_result_t *res, const char *name)
{
	int bit = fs_rules_flag_find(fs_engine_rules(engine), name);
	assert_true(bit >= 0);
	return (res->flags >> bit) & 1;
}

/* Score @p text and check the hand-computed sum and compound. */
#define assert_scores(text, sum, compound) tu_assert_scores((text), (sum), (compound), __FILE__, __LINE__)

static const fs_result_t *tu_assert_scores(const char *text, double sum, double compound, const char *file, int line)
{
	const fs_result_t *res = score(text);
	double got = total_of(res);

	if (fabs(got - sum) > TU_EPS || fabs(res->compound - compound) > TU_EPS) {
		print_error("\"%s\": sum %.6f compound %.6f, expected sum %.6f compound %.6f\n", text, got,
			    res->compound, sum, compound);
		_fail(file, line);
	}
	return res;
}

/* ---- single terms and negation ---- */

static void test_single_term(void **state)
{
	const fs_result_t *res;
	const fs_explain_t *x;

	(void)state;
	/* good 2.0; 2 / sqrt(4 + 15) = 0.458831 */
	res = assert_scores("good", 2.0, 0.458831);
	assert_int_equal(res->label, FS_LABEL_POSITIVE);
	assert_int_equal(res->nexplain, 1);
	x = &res->explain[0];
	assert_int_equal(x->kind, FS_X_TERM);
	assert_true(tu_streq_n(x->what, x->what_len, "good"));
	assert_approx(x->valence, 2.0);
	assert_approx(x->local, 2.0);
	assert_int_equal(x->mods, 0);
	assert_int_equal(x->start, 0);
	assert_int_equal(x->end, 4);
	assert_int_equal(res->ntokens, 1);
	assert_approx(res->length_factor, 1.0);

	/* bad -2.0; -2 / sqrt(19) = -0.458831 */
	res = assert_scores("bad", -2.0, -0.458831);
	assert_int_equal(res->label, FS_LABEL_NEGATIVE);
}

static void test_negation_of_positive(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* 2.0 * -0.75 = -1.5; -1.5 / sqrt(2.25 + 15) = -0.361158 */
	res = assert_scores("not good", -1.5, -0.361158);
	assert_true(item(res, "good")->mods & FS_XM_NEGATED);
	assert_int_equal(res->label, FS_LABEL_NEGATIVE);
}

static void test_negation_of_negative(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* -2.0 * -0.5 = +1.0; 1 / sqrt(1 + 15) = 0.25 */
	res = assert_scores("not bad", 1.0, 0.25);
	assert_true(item(res, "bad")->mods & FS_XM_NEGATED);
	assert_int_equal(res->label, FS_LABEL_POSITIVE);
}

static void test_negation_never(void **state)
{
	(void)state;
	/* disappointed -2.0 * -0.5 = 1.0; 1 / sqrt(16) = 0.25 */
	assert_scores("never disappointed", 1.0, 0.25);
	/* helpful 2.0 * -0.75 = -1.5; -0.361158 */
	assert_scores("it was never helpful", -1.5, -0.361158);
}

static void test_negation_without(void **state)
{
	(void)state;
	/* problem -1.0 * -0.5 = 0.5; 0.5 / sqrt(0.25 + 15) = 0.128037 */
	assert_scores("without a problem", 0.5, 0.128037);
}

static void test_negation_nobody(void **state)
{
	(void)state;
	/* helpful 2.0 * -0.75 = -1.5; -0.361158 */
	assert_scores("nobody was helpful", -1.5, -0.361158);
}

static void test_negation_no_longer(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* "no longer" is one negator (not two): works 1.0 * -0.75 = -0.75;
	 * -0.75 / sqrt(0.5625 + 15) = -0.190117 */
	res = assert_scores("no longer works", -0.75, -0.190117);
	assert_true(item(res, "works")->mods & FS_XM_NEGATED);
	assert_false(item(res, "works")->mods & FS_XM_NEGATION_CANCELLED);
}

static void test_negation_typographic_contraction(void **state)
{
	(void)state;
	/* "isn’t" is a n't negator: good 2.0 * -0.75 = -1.5; -0.361158 */
	assert_scores("it isn\xE2\x80\x99t good", -1.5, -0.361158);
	/* the ASCII form gives the same */
	assert_scores("it isn't good", -1.5, -0.361158);
}

static void test_negation_stops_at_punctuation(void **state)
{
	(void)state;
	/* not bad: -2 * -0.5 = 1.0; after the comma good is not negated: 2.0;
	 * 1 + 2 = 3.0; 3 / sqrt(9 + 15) = 0.612372 */
	assert_scores("not bad, good", 3.0, 0.612372);
}

static void test_double_negation(void **state)
{
	const fs_result_t *res;
	const fs_explain_t *x;

	(void)state;
	/* two negators cancel: good stays 2.0; 0.458831 */
	res = assert_scores("not not good", 2.0, 0.458831);
	x = item(res, "good");
	assert_non_null(x);
	assert_true(x->mods & FS_XM_NEGATION_CANCELLED);
	assert_false(x->mods & FS_XM_NEGATED);
}

static void test_negation_window(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* "not" three words back still negates the boosted term:
	 * (2.0 + 0.3) * -0.75 = -1.725; -1.725 / sqrt(2.975625 + 15) = -0.406862 */
	res = assert_scores("not a very good product", -1.725, -0.406862);
	assert_true(item(res, "good")->mods & FS_XM_NEGATED);
	assert_true(item(res, "good")->mods & FS_XM_BOOSTED);
}

/* ---- boosters ---- */

static void test_booster_very(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* 2.0 + 0.3 * 1 = 2.3; 2.3 / sqrt(5.29 + 15) = 0.510607 */
	res = assert_scores("very good", 2.3, 0.510607);
	assert_true(item(res, "good")->mods & FS_XM_BOOSTED);
}

static void test_booster_extremely(void **state)
{
	(void)state;
	/* -2.0 - 0.4 * 1 = -2.4; -2.4 / sqrt(5.76 + 15) = -0.526742 */
	assert_scores("extremely bad", -2.4, -0.526742);
}

static void test_dampener_slightly(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* -2.0 + (-1)(-0.3) = -1.7; -1.7 / sqrt(2.89 + 15) = -0.401924 */
	res = assert_scores("slightly bad", -1.7, -0.401924);
	assert_true(item(res, "bad")->mods & FS_XM_DAMPENED);
	assert_false(item(res, "bad")->mods & FS_XM_BOOSTED);
}

static void test_dampener_multiword(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* "kind of" is one booster -0.3 (counted once): 2.0 - 0.3 = 1.7; 0.401924 */
	res = assert_scores("kind of good", 1.7, 0.401924);
	assert_true(item(res, "good")->mods & FS_XM_DAMPENED);
}

static void test_booster_decay(void **state)
{
	(void)state;
	/* distance 1: 0.3 * 1, distance 2: 0.3 * 0.95 = 0.285;
	 * 2 + 0.3 + 0.285 = 2.585; 2.585 / sqrt(6.682225 + 15) = 0.555148 */
	assert_scores("very very good", 2.585, 0.555148);
}

static void test_booster_stops_at_punctuation(void **state)
{
	(void)state;
	/* the comma ends the clause: good stays 2.0; 0.458831 */
	assert_scores("very, good", 2.0, 0.458831);
}

/* ---- capitals and elongation ---- */

static void test_caps_in_mixed_text(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* 2.0 + 0.733 = 2.733; 2.733 / sqrt(7.469289 + 15) = 0.576561 */
	res = assert_scores("GOOD product", 2.733, 0.576561);
	assert_true(item(res, "good")->mods & FS_XM_CAPS);
}

static void test_caps_whole_text(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* all capitals: no emphasis; 2.0, 0.458831 */
	res = assert_scores("GOOD PRODUCT", 2.0, 0.458831);
	assert_false(item(res, "good")->mods & FS_XM_CAPS);
}

static void test_elongation(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* "gooood" is good with elongation: 2.0 + 0.3 = 2.3; 0.510607 */
	res = assert_scores("gooood product", 2.3, 0.510607);
	assert_true(item(res, "good")->mods & FS_XM_ELONG);
	/* and negative: -2.0 - 0.3 = -2.3; -0.510607 */
	assert_scores("baaaad product", -2.3, -0.510607);
}

/* ---- sentence emphasis ---- */

static void test_exclamation(void **state)
{
	const fs_result_t *res;
	const fs_explain_t *x;

	(void)state;
	/* 2.0 + 1 * 0.292 = 2.292; 2.292 / sqrt(5.253264 + 15) = 0.509292 */
	res = assert_scores("good!", 2.292, 0.509292);
	x = item_kind(res, FS_X_EXCLAIM);
	assert_non_null(x);
	assert_approx(x->score, 0.292);
	assert_int_equal(x->start, 4);
	assert_int_equal(x->end, 5);

	/* negative sentence: -2.0 - 2 * 0.292 = -2.584; -2.584 / sqrt(6.677056 + 15) = -0.554999 */
	assert_scores("bad!!", -2.584, -0.554999);
}

static void test_exclamation_capped(void **state)
{
	(void)state;
	/* six "!" count as four: 2.0 + 4 * 0.292 = 3.168; 3.168 / sqrt(10.036224 + 15) = 0.633141 */
	assert_scores("good!!!!!!", 3.168, 0.633141);
}

static void test_exclamation_per_sentence(void **state)
{
	(void)state;
	/* a sentence without sentiment gets no emphasis: 0 + (2.0 + 0.292) = 2.292; 0.509292 */
	assert_scores("the box! good!", 2.292, 0.509292);
	/* each sentence in its own direction: (3.0 + 0.292) + (-2.0 - 2 * 0.292) = 0.708;
	 * 0.708 / sqrt(0.501264 + 15) = 0.179825 */
	assert_scores("great! bad!!", 0.708, 0.179825);
}

static void test_question_marks(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* 2.0 + 2 * 0.18 = 2.36; 2.36 / sqrt(5.5696 + 15) = 0.520354 */
	res = assert_scores("good??", 2.36, 0.520354);
	assert_non_null(item_kind(res, FS_X_QMARKS));
	/* 2.0 + 3 * 0.18 = 2.54; 2.54 / sqrt(6.4516 + 15) = 0.548408 */
	assert_scores("good???", 2.54, 0.548408);
	/* above three: 2.0 + 0.96 = 2.96; 2.96 / sqrt(8.7616 + 15) = 0.607231 */
	assert_scores("good????", 2.96, 0.607231);
}

/* ---- clause structure ---- */

static void test_contrast(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* good 2.0 * 0.5 = 1.0; bad -2.0 * 1.5 = -3.0; 1 - 3 = -2.0; -0.458831 */
	res = assert_scores("good but bad", -2.0, -0.458831);
	assert_true(item(res, "good")->mods & FS_XM_BEFORE_CONTRAST);
	assert_true(item(res, "bad")->mods & FS_XM_AFTER_CONTRAST);
	assert_approx(item(res, "good")->score, 1.0);
	assert_approx(item(res, "bad")->score, -3.0);
}

static void test_multiple_contrasts(void **state)
{
	(void)state;
	/* good0 before the first but: 2 * 0.5 = 1.0;
	 * bad after the first and before the second: -2 * 1.5 * 0.5 = -1.5;
	 * good4 after the second: 2 * 1.5 = 3.0;
	 * 1.0 - 1.5 + 3.0 = 2.5; 2.5 / sqrt(6.25 + 15) = 0.542326 */
	assert_scores("good but bad but good", 2.5, 0.542326);
}

static void test_concession(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* inside "although ...,": good 2 * 0.5 = 1.0; rest: bad -2 * 1.5 = -3.0;
	 * 1 - 3 = -2.0; -0.458831 */
	res = assert_scores("although it is good, it is bad", -2.0, -0.458831);
	assert_true(item(res, "good")->mods & FS_XM_CONCESSION);
	assert_false(item(res, "bad")->mods & FS_XM_CONCESSION);
}

static void test_hypothetical(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* -2.0 * 0.3 = -0.6; -0.6 / sqrt(0.36 + 15) = -0.153093 */
	res = assert_scores("if it is bad", -0.6, -0.153093);
	assert_true(item(res, "bad")->mods & FS_XM_HYPOTHETICAL);
}

static void test_concession_after_main_clause(void **state)
{
	(void)state;
	/* the rest of the sentence before the clause also weighs 1.5:
	 * bad -2 * 1.5 = -3.0; good inside 2 * 0.5 = 1.0; -2.0; -0.458831 */
	assert_scores("it is bad, although it is good", -2.0, -0.458831);
}

static void test_hypothetical_clause_ends(void **state)
{
	(void)state;
	/* the "if" clause ends at the comma: bad -2 * 0.3 = -0.6; good 2.0;
	 * 1.4 / sqrt(1.96 + 15) = 0.339950 */
	assert_scores("if it is bad, it is good", 1.4, 0.339950);
}

static void test_neutral_question(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* opened by "how", closed by one "?": 2.0 * 0.1 = 0.2; 0.2 / sqrt(15.04) = 0.051571 */
	res = assert_scores("how do I make it good?", 0.2, 0.051571);
	assert_true(item(res, "good")->mods & FS_XM_QUESTION);
}

/* an opener before the interrogative: still a neutral question; without
 * an interrogative the opener damps nothing */
static void test_question_after_opener(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* as test_neutral_question: 2.0 * 0.1 = 0.2 */
	res = assert_scores("hi, how do I make it good?", 0.2, 0.051571);
	assert_true(item(res, "good")->mods & FS_XM_QUESTION);
	/* "hi, it is good?": no interrogative, 2.0 / sqrt(19) = 0.458831 */
	res = assert_scores("hi, it is good?", 2.0, 0.458831);
	assert_false(item(res, "good")->mods & FS_XM_QUESTION);
}

/* a condition before the interrogative: "if it breaks, how do I ...?" is a
 * neutral question too; without an interrogative after it, it is not */
static void test_question_after_condition(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* bad -2.0 * 0.3 (hypothetical) * 0.1 = -0.06; good 2.0 * 0.1 = 0.2; sum 0.14;
	 * 0.14 / sqrt(0.0196 + 15) = 0.036124 */
	res = assert_scores("if it is bad, how do I make it good?", 0.14, 0.036124);
	assert_true(item(res, "bad")->mods & FS_XM_QUESTION);
	assert_true(item(res, "bad")->mods & FS_XM_HYPOTHETICAL);
	assert_true(item(res, "good")->mods & FS_XM_QUESTION);
	/* as test_hypothetical_clause_ends: -0.6 + 2.0 = 1.4; 0.339950 */
	res = assert_scores("if it is bad, it is good?", 1.4, 0.339950);
	assert_false(item(res, "good")->mods & FS_XM_QUESTION);
}

/* a balanced verdict of the writer's own damps every contribution to 0.05 */
static void test_balanced_verdict(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* good 2.0 * 0.5 (before "but") = 1.0; terrible -3.0 * 1.5 = -4.5; sum -3.5;
	 * -3.5 / sqrt(12.25 + 15) = -0.670479 */
	res = assert_scores("good but terrible.", -3.5, -0.670479);
	assert_false(item(res, "terrible")->mods & FS_XM_VERDICT);
	/* the same weighed by the writer: -3.5 * 0.05 = -0.175; -0.175 / sqrt(0.030625 + 15) = -0.045139 */
	res = assert_scores("good but terrible. mixed bag", -0.175, -0.045139);
	assert_true(item(res, "good")->mods & FS_XM_VERDICT);
	assert_true(item(res, "terrible")->mods & FS_XM_VERDICT);
	/* the verdict may come first */
	assert_scores("mixed bag: good but terrible.", -0.175, -0.045139);
}

static void test_irony_mark(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* without the mark: love 3.0; 3 / sqrt(9 + 15) = 0.612372 */
	assert_scores("love it", 3.0, 0.612372);
	/* with it the praise is sarcastic: love -3.0, the mark itself -1.5; -4.5;
	 * -4.5 / sqrt(20.25 + 15) = -0.757937 */
	res = assert_scores("love it \xF0\x9F\x99\x83", -4.5, -0.757937);
	assert_true(item(res, "love")->mods & FS_XM_IRONY);
	assert_approx(item(res, "love")->valence, 3.0);
	/* the mark may come first; negative words keep their sign: terrible -3.0 */
	res = assert_scores("\xF0\x9F\x99\x83 terrible", -4.5, -0.757937);
	assert_false(item(res, "terrible")->mods & FS_XM_IRONY);
}

static void test_quoted_praise(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* praise in quotation marks is someone else's claim: great 3.0 * 0.25 = 0.75;
	 * 0.75 / sqrt(0.5625 + 15) = 0.190117 */
	res = assert_scores("the 'great' seat", 0.75, 0.190117);
	assert_true(item(res, "great")->mods & FS_XM_QUOTED);
	/* a quoted problem is a fact and keeps its weight: terrible -3.0; -0.612372 */
	res = assert_scores("a \"terrible\" fee", -3.0, -0.612372);
	assert_false(item(res, "terrible")->mods & FS_XM_QUOTED);
	/* unquoted: great 3.0; 0.612372 */
	assert_scores("the great seat", 3.0, 0.612372);
}

static void test_contrast_ending_sentence(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* "yet" between two clauses: terrible -3.0 * 0.5 + great 3.0 * 1.5 = 3.0; 0.612372 */
	assert_scores("terrible yet great", 3.0, 0.612372);
	/* "yet" ending the sentence contrasts nothing: terrible counts in full; -0.612372 */
	res = assert_scores("it is terrible yet.", -3.0, -0.612372);
	assert_false(item(res, "terrible")->mods & FS_XM_BEFORE_CONTRAST);
	res = assert_scores("it is terrible yet", -3.0, -0.612372);
	assert_false(item(res, "terrible")->mods & FS_XM_BEFORE_CONTRAST);
}

static void test_double_question_not_damped(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* "??" is emphasis, not a neutral question: 2.0 + 2 * 0.18 = 2.36; 0.520354 */
	res = assert_scores("how do I make it good??", 2.36, 0.520354);
	assert_false(item(res, "good")->mods & FS_XM_QUESTION);
}

static void test_politeness_in_complaint(void **state)
{
	const fs_result_t *res;
	const fs_explain_t *x;

	(void)state;
	/* the rest (terrible -3.0) is negative, so thanks counts 0: total -3.0;
	 * -3 / sqrt(9 + 15) = -0.612372 */
	res = assert_scores("please fix this, it is terrible. thanks", -3.0, -0.612372);
	x = item(res, "thanks");
	assert_non_null(x);
	assert_approx(x->score, 0.0);
	assert_true(x->mods & FS_XM_POLITE);
}

static void test_politeness_counts_when_positive(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* thanks 1.5 + great 3.0 = 4.5; 4.5 / sqrt(20.25 + 15) = 0.757937 */
	res = assert_scores("thanks, great", 4.5, 0.757937);
	assert_approx(item(res, "thanks")->score, 1.5);
	assert_false(item(res, "thanks")->mods & FS_XM_POLITE);
}

static void test_politeness_alone(void **state)
{
	(void)state;
	/* nothing else in the text, no question: thanks counts 1.5; 1.5 / sqrt(17.25) = 0.361158 */
	assert_scores("thanks", 1.5, 0.361158);
}

static void test_politeness_after_request(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* a request ("kindly", a request word without valence) and nothing else:
	 * the thanks closing it is courtesy, 0, not praise */
	res = assert_scores("kindly change my address. thanks", 0.0, 0.0);
	assert_true(item(res, "thanks")->mods & FS_XM_POLITE);
	/* praise beside the request still lets it count: great 3.0 + thanks 1.5 = 4.5;
	 * 4.5 / sqrt(20.25 + 15) = 0.757937 */
	res = assert_scores("kindly change my address, great app. thanks", 4.5, 0.757937);
	assert_false(item(res, "thanks")->mods & FS_XM_POLITE);
}

/* ---- phrases ---- */

static void test_idioms(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* fed up -2.5, let down -2.5: -5.0; -5 / sqrt(25 + 15) = -0.790569 */
	res = assert_scores("I am fed up and let down", -5.0, -0.790569);
	assert_int_equal(res->nexplain, 2);
	assert_non_null(item(res, "fed up"));
	assert_non_null(item(res, "let down"));
	assert_approx(item(res, "fed up")->valence, -2.5);
}

static void test_idiom_not_split(void **state)
{
	const fs_result_t *res;
	const fs_explain_t *x;

	(void)state;
	/* one item 3.0; 3 / sqrt(24) = 0.612372 */
	res = assert_scores("over the moon", 3.0, 0.612372);
	assert_int_equal(res->nexplain, 1);
	x = item(res, "over the moon");
	assert_non_null(x);
	assert_int_equal(x->start, 0);
	assert_int_equal(x->end, 13);
}

static void test_not_only_but_also(void **state)
{
	const fs_result_t *res;
	size_t k;

	(void)state;
	/* "not only" and "but also" cancel negation and contrast: 2.0 + 3.0 = 5.0;
	 * 5 / sqrt(40) = 0.790569 */
	res = assert_scores("not only good but also great", 5.0, 0.790569);
	for (k = 0; k < res->nexplain; k++) {
		assert_int_equal(res->explain[k].mods & (FS_XM_NEGATED | FS_XM_BEFORE_CONTRAST | FS_XM_AFTER_CONTRAST),
				 0);
	}
}

/* ---- emoji ---- */

static void test_emoji(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* 😡 -3.0; -3 / sqrt(24) = -0.612372 */
	res = assert_scores("\xF0\x9F\x98\xA1", -3.0, -0.612372);
	assert_int_equal(res->explain[0].kind, FS_X_EMOJI);
	/* :) 1.5; 1.5 / sqrt(17.25) = 0.361158 */
	res = assert_scores(":)", 1.5, 0.361158);
	assert_int_equal(res->explain[0].kind, FS_X_EMOJI);
	/* 👍🏽 is 👍 2.0 despite the skin tone; 0.458831 */
	res = assert_scores("\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD", 2.0, 0.458831);
	assert_int_equal(res->explain[0].kind, FS_X_EMOJI);
	assert_int_equal(res->explain[0].start, 0);
}

/* An emoji is the writer's own face: words before it neither negate nor boost it. */
static void test_emoji_not_negated(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* good 2.0 negated -1.5, 😡 -3.0 as is: -4.5 / sqrt(20.25 + 15) = -0.757937 */
	res = assert_scores("not good \xF0\x9F\x98\xA1", -4.5, -0.757937);
	assert_int_equal(res->nexplain, 2);
	assert_int_equal(res->explain[0].mods & FS_XM_NEGATED, FS_XM_NEGATED);
	assert_int_equal(res->explain[1].kind, FS_X_EMOJI);
	assert_int_equal(res->explain[1].mods, 0);
	/* neither "not" nor the booster "very" right before it changes it */
	res = assert_scores("not \xF0\x9F\x98\xA1", -3.0, -0.612372);
	assert_int_equal(res->explain[0].mods, 0);
	res = assert_scores("very :)", 1.5, 0.361158);
	assert_int_equal(res->explain[0].mods, 0);
}

/* ---- rules ---- */

static void test_rule_on_hold(void **state)
{
	const fs_result_t *res;
	const fs_explain_t *x;
	const fs_cat_result_t *c;

	(void)state;
	/* rule valence -2.5; -2.5 / sqrt(6.25 + 15) = -0.542326 */
	res = assert_scores("on hold for two hours", -2.5, -0.542326);
	x = item(res, "on_hold_hours");
	assert_non_null(x);
	assert_int_equal(x->kind, FS_X_RULE);
	assert_approx(x->valence, -2.5);
	assert_int_equal(x->start, 0);
	assert_int_equal(x->end, 21);
	assert_true(has_flag(res, "urgent"));
	assert_false(has_flag(res, "churn_risk"));
	c = cat(res, "customer_service");
	assert_non_null(c);
	/* the category's clause holds the rule: -2.5 -> -0.542326 */
	assert_approx(c->compound, -0.542326);
	assert_int_equal(c->label, FS_LABEL_NEGATIVE);
	assert_true(res->rules_run >= 1);
}

static void test_rule_negatable_churn(void **state)
{
	const fs_result_t *res;

	(void)state;
	res = score("I will cancel my subscription");
	assert_true(has_flag(res, "churn_risk"));
	assert_non_null(cat(res, "subscription"));

	/* a negator in the three words before the match cancels it */
	res = score("I will not cancel my subscription");
	assert_false(has_flag(res, "churn_risk"));
}

static void test_rule_covers_words(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* only the rule counts (-2.0), not refund nor the "no" inside it;
	 * -2 / sqrt(19) = -0.458831 */
	res = assert_scores("still no refund", -2.0, -0.458831);
	assert_int_equal(res->nexplain, 1);
	assert_int_equal(res->explain[0].kind, FS_X_RULE);
	assert_true(tu_streq_n(res->explain[0].what, res->explain[0].what_len, "still_no_refund"));
	assert_int_equal(res->explain[0].mods & FS_XM_NEGATED, 0);
	assert_non_null(cat(res, "billing"));
}

static void test_rule_limit(void **state)
{
	char text[64];
	const fs_result_t *res;
	size_t k;

	(void)state;
	for (k = 0; k < 25; k++) {
		memcpy(text + 2 * k, "xy", 2);
	}
	strcpy(text + 50, "!");
	res = score(text);
	assert_int_equal(res->limit_hits, 1);
	assert_approx(res->compound, 0.0);
	assert_int_equal(res->label, FS_LABEL_NEUTRAL);
	assert_int_equal(res->nexplain, 0);

	/* the rest of the text is still scored: 0 + 2.0; 0.458831 */
	strcpy(text + 50, "! good");
	res = assert_scores(text, 2.0, 0.458831);
	assert_int_equal(res->limit_hits, 1);
}

/* ---- categories, labels, proportions ---- */

static void test_category_sentiment(void **state)
{
	const fs_result_t *res;
	const fs_cat_result_t *d, *p;
	unsigned m;
	int found = 0;

	(void)state;
	/* overall: fast 1.5 * 0.5 = 0.75; broke -2.0 * 1.5 = -3.0; -2.25;
	 * -2.25 / sqrt(5.0625 + 15) = -0.502331 */
	res = assert_scores("the delivery was fast but the charger broke", -2.25, -0.502331);
	assert_int_equal(res->label, FS_LABEL_NEGATIVE);
	assert_int_equal(res->ncats, 2);

	/* delivery: its clause holds fast (local 1.5): 1.5 / sqrt(17.25) = 0.361158 */
	d = cat(res, "delivery");
	assert_non_null(d);
	assert_approx(d->compound, 0.361158);
	assert_int_equal(d->label, FS_LABEL_POSITIVE);
	for (m = 0; m < d->nmatched; m++) {
		found |= tu_streq_n(d->matched[m], d->matched_len[m], "delivery");
	}
	assert_true(found);

	/* product_quality: its clause holds broke (local -2.0): -0.458831 */
	p = cat(res, "product_quality");
	assert_non_null(p);
	assert_approx(p->compound, -0.458831);
	assert_int_equal(p->label, FS_LABEL_NEGATIVE);
}

/* Diagnostics collected by the rule self-tests. */
typedef struct diag_log {
	char text[65536];
	size_t len;
} diag_log_t;

static void diag_collect(void *opaque, int is_error, const char *msg)
{
	diag_log_t *d = opaque;
	int n = snprintf(d->text + d->len, sizeof(d->text) - d->len, "%s %s\n", is_error ? "E" : "W", msg);
	if (n > 0 && d->len + (size_t)n < sizeof(d->text)) {
		d->len += (size_t)n;
	}
}

/* The fixture's `example` and `counter` lines pass; rules without an
 * example are a warning, or an error when examples are required. */
static void test_rule_examples(void **state)
{
	diag_log_t log = {{0}, 0};
	fs_diag_t diag = {diag_collect, &log, 1, 0, 0};
	(void)state;

	assert_int_equal(fs_engine_check_examples(engine, "rules.conf", 0, &diag), FS_OK);
	assert_int_equal(diag.nerrors, 0);
	assert_int_equal(diag.nwarnings, 2);
	assert_contains(log.text, "W rules.conf:11: rule cancel_subscription has no example\n");
	assert_contains(log.text, "rule catastrophic has no example");
	diag.nwarnings = 0;
	assert_int_equal(fs_engine_check_examples(engine, "rules.conf", 1, &diag), FS_OK);
	assert_int_equal(diag.nerrors, 2);
	assert_int_equal(diag.nwarnings, 0);
}

/* Every rule we ship has at least one example, and every `example` and
 * `counter` line of lexicons/rules.conf holds: each rule fires with its
 * declared valence, categories and flags on its examples and stays silent
 * on its counter-examples. */
static void test_shipped_rule_examples(void **state)
{
	const char *dir = getenv("FEEDSENSE_LEXICONS") ? getenv("FEEDSENSE_LEXICONS") : "lexicons";
	static diag_log_t log;
	fs_diag_t diag = {diag_collect, &log, 1, 0, 0};
	fs_engine_opts_t opts;
	fs_engine_t *shipped = NULL;
	char errstr[1024];
	(void)state;

	fs_engine_opts_init(&opts);
	opts.lexicon_dir = dir;
	assert_int_equal(fs_engine_new(&opts, &shipped, errstr, sizeof(errstr)), FS_OK);
	assert_int_equal(fs_engine_check_examples(shipped, "lexicons/rules.conf", 1, &diag), FS_OK);
	if (diag.nerrors) {
		print_error("%s", log.text);
	}
	assert_int_equal(diag.nerrors, 0);
	fs_engine_destroy(shipped);
}

static void test_labels(void **state)
{
	fs_engine_opts_t opts;
	fs_engine_t *e2;
	fs_scratch_t *s2;
	const fs_result_t *res;
	size_t errpos;

	(void)state;
	assert_int_equal(fs_engine_label(engine, 0.05), FS_LABEL_POSITIVE);
	assert_int_equal(fs_engine_label(engine, 0.0499), FS_LABEL_NEUTRAL);
	assert_int_equal(fs_engine_label(engine, 0.0), FS_LABEL_NEUTRAL);
	assert_int_equal(fs_engine_label(engine, -0.0499), FS_LABEL_NEUTRAL);
	assert_int_equal(fs_engine_label(engine, -0.05), FS_LABEL_NEGATIVE);
	assert_string_equal(fs_label_name(FS_LABEL_POSITIVE), "positive");
	assert_string_equal(fs_label_name(FS_LABEL_NEUTRAL), "neutral");
	assert_string_equal(fs_label_name(FS_LABEL_NEGATIVE), "negative");

	assert_int_equal(score("the box arrived")->label, FS_LABEL_NEUTRAL);
	/* hypothetical bad: -0.153093 <= -0.05 */
	assert_int_equal(score("if it is bad")->label, FS_LABEL_NEGATIVE);

	/* custom thresholds */
	fs_engine_opts_init(&opts);
	opts.pos_threshold = 0.5;
	opts.neg_threshold = -0.3;
	e2 = tu_engine_new_opts(&opts);
	s2 = fs_scratch_new(e2);
	assert_non_null(s2);
	/* good 0.458831 < 0.5: neutral */
	assert_int_equal(fs_score(e2, s2, "good", 4, &res, &errpos), FS_OK);
	assert_int_equal(res->label, FS_LABEL_NEUTRAL);
	/* very good 0.510607 >= 0.5: positive */
	assert_int_equal(fs_score(e2, s2, "very good", 9, &res, &errpos), FS_OK);
	assert_int_equal(res->label, FS_LABEL_POSITIVE);
	/* not good -0.361158 <= -0.3: negative */
	assert_int_equal(fs_score(e2, s2, "not good", 8, &res, &errpos), FS_OK);
	assert_int_equal(res->label, FS_LABEL_NEGATIVE);
	/* not bad 0.25 is below 0.5: neutral */
	assert_int_equal(fs_score(e2, s2, "not bad", 7, &res, &errpos), FS_OK);
	assert_int_equal(res->label, FS_LABEL_NEUTRAL);
	fs_scratch_destroy(s2);
	fs_engine_destroy(e2);
}

static void test_proportions(void **state)
{
	static const char *const texts[] = {
	    "good",
	    "good product",
	    "bad product",
	    "good but bad",
	    "the box arrived",
	    "please fix this, it is terrible. thanks",
	    "on hold for two hours!",
	    "I am fed up and let down, although the agent was helpful :)",
	    "not not good. very very bad!!! how do I make it good?",
	};
	const fs_result_t *res;
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(texts) / sizeof(texts[0]); k++) {
		res = score(texts[k]);
		assert_approx_eps(res->pos + res->neu + res->neg, 1.0, 1e-4);
		assert_true(res->pos >= 0 && res->pos <= 1);
		assert_true(res->neu >= 0 && res->neu <= 1);
		assert_true(res->neg >= 0 && res->neg <= 1);
	}
	res = score("good product");
	assert_true(res->pos > 0);
	assert_true(res->neu > 0);
	assert_approx(res->neg, 0.0);
	res = score("bad product");
	assert_true(res->neg > 0);
	assert_approx(res->pos, 0.0);
	res = score("good but bad");
	assert_true(res->pos > 0);
	assert_true(res->neg > res->pos);
	res = score("the box arrived");
	assert_approx(res->neu, 1.0);
}

/* ---- explanation offsets ---- */

static void test_offsets_after_apostrophe(void **state)
{
	const char *text = "it isn\xE2\x80\x99t good";
	const fs_result_t *res = score(text);
	const fs_explain_t *x = item(res, "good");

	(void)state;
	assert_non_null(x);
	/* i t _ i s n [E2 80 99] t _ g: "good" starts at byte 11 */
	assert_int_equal(x->start, 11);
	assert_int_equal(x->end, 15);
	assert_memory_equal(text + x->start, "good", 4);
}

static void test_offsets_after_entity(void **state)
{
	const char *text = "fast &amp; good";
	const fs_result_t *res = score(text);
	const fs_explain_t *x;

	(void)state;
	x = item(res, "fast");
	assert_non_null(x);
	assert_int_equal(x->start, 0);
	assert_int_equal(x->end, 4);
	x = item(res, "good");
	assert_non_null(x);
	assert_int_equal(x->start, 11);
	assert_int_equal(x->end, 15);
	assert_memory_equal(text + x->start, "good", 4);
}

static void test_offsets_rule_and_elongation(void **state)
{
	const char *text = "Sadly &amp; ON HOLD for two hours";
	const fs_result_t *res = score(text);
	const fs_explain_t *x = item(res, "on_hold_hours");

	(void)state;
	assert_non_null(x);
	/* "ON HOLD for two hours" is bytes 12..33 of the original */
	assert_int_equal(x->start, 12);
	assert_int_equal(x->end, 33);

	res = score("so gooood");
	x = item(res, "good");
	assert_non_null(x);
	assert_int_equal(x->start, 3);
	assert_int_equal(x->end, 9);
}

/* ---- long, invalid, empty, big texts and reuse ---- */

static void test_long_text(void **state)
{
	const fs_result_t *res;

	(void)state;
	/* 6 sentences: length factor sqrt(6 / 3) = 1.414214; 6 * 2.0 = 12 / 1.414214 = 8.485281;
	 * 8.485281 / sqrt(72 + 15) = 0.909718 */
	res = assert_scores("good. good. good. good. good. good.", 12.0, 0.909718);
	assert_approx(res->length_factor, 1.414214);

	/* 3 sentences: no division; 6.0 / sqrt(36 + 15) = 0.840168 */
	res = assert_scores("good. good. good.", 6.0, 0.840168);
	assert_approx(res->length_factor, 1.0);

	/* 4 sentences: 8.0 / sqrt(4 / 3) = 6.928203; 6.928203 / sqrt(48 + 15) = 0.872872 */
	res = assert_scores("good. good. good. good", 8.0, 0.872872);
	assert_approx(res->length_factor, 1.154701);
}

static void test_invalid_utf8(void **state)
{
	const fs_result_t *res = NULL;
	size_t errpos = SIZE_MAX;

	(void)state;
	assert_int_equal(fs_score(engine, scratch, "good \xC0\x80 bad", 11, &res, &errpos), FS_ERR_UTF8);
	assert_int_equal(errpos, 5);
	assert_int_equal(fs_score(engine, scratch, "great \xED\xA0\x80", 9, &res, &errpos), FS_ERR_UTF8);
	assert_int_equal(errpos, 6);
	/* the scratch still works afterwards */
	assert_scores("good", 2.0, 0.458831);
}

static void test_empty_text(void **state)
{
	const fs_result_t *res = NULL;
	size_t errpos = SIZE_MAX;

	(void)state;
	score("bad but good");
	assert_int_equal(fs_score(engine, scratch, "", 0, &res, &errpos), FS_OK);
	assert_approx(res->compound, 0.0);
	assert_int_equal(res->label, FS_LABEL_NEUTRAL);
	assert_int_equal(res->nexplain, 0);
	assert_int_equal(res->ncats, 0);
	assert_int_equal(res->flags, 0);
	assert_int_equal(res->ntokens, 0);
	assert_approx(res->neu, 1.0);
	assert_approx(res->pos, 0.0);
	assert_approx(res->neg, 0.0);
	assert_approx(res->length_factor, 1.0);
}

typedef struct snap {
	double compound, pos, neu, neg, lf;
	size_t nexplain, ncats;
	uint32_t flags;
	unsigned limit_hits;
	int label;
	fs_err_t err;
} snap_t;

static snap_t take(fs_scratch_t *s, const char *text)
{
	const fs_result_t *res = NULL;
	size_t errpos = 0;
	snap_t sn;

	memset(&sn, 0, sizeof(sn));
	sn.err = fs_score(engine, s, text, strlen(text), &res, &errpos);
	if (sn.err == FS_OK) {
		sn.compound = res->compound;
		sn.pos = res->pos;
		sn.neu = res->neu;
		sn.neg = res->neg;
		sn.lf = res->length_factor;
		sn.nexplain = res->nexplain;
		sn.ncats = res->ncats;
		sn.flags = res->flags;
		sn.limit_hits = res->limit_hits;
		sn.label = res->label;
	}
	return sn;
}

static void test_scratch_reuse(void **state)
{
	static const char *const texts[] = {
	    "good",
	    "not good",
	    "the delivery was fast but the charger broke",
	    "on hold for two hours!!",
	    "I will cancel my subscription",
	    "I will not cancel my subscription",
	    "still no refund",
	    "please fix this, it is terrible. thanks",
	    "good. good. good. good. good. good.",
	    "bad \xFF text",
	    "",
	    "xyxyxyxyxyxyxyxyxyxyxyxyxyxyxyxyxyxyxyxyxyxyxyxyxy!",
	    "over the moon \xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD :) although it is slow, it is GOOD",
	    "how do I make it good?",
	};
	enum { N = sizeof(texts) / sizeof(texts[0]) };
	snap_t want[N];
	size_t k, round;

	(void)state;
	for (k = 0; k < N; k++) {
		fs_scratch_t *fresh = fs_scratch_new(engine);
		assert_non_null(fresh);
		want[k] = take(fresh, texts[k]);
		fs_scratch_destroy(fresh);
	}
	for (round = 0; round < 30; round++) {
		for (k = 0; k < N; k++) {
			size_t i = (k * 7 + round) % N;
			snap_t got = take(scratch, texts[i]);
			assert_int_equal(got.err, want[i].err);
			assert_true(got.compound == want[i].compound);
			assert_true(got.pos == want[i].pos);
			assert_true(got.neu == want[i].neu);
			assert_true(got.neg == want[i].neg);
			assert_true(got.lf == want[i].lf);
			assert_int_equal(got.nexplain, want[i].nexplain);
			assert_int_equal(got.ncats, want[i].ncats);
			assert_int_equal(got.flags, want[i].flags);
			assert_int_equal(got.limit_hits, want[i].limit_hits);
			assert_int_equal(got.label, want[i].label);
		}
	}
}

static void test_big_text(void **state)
{
	static const char unit[] = "The delivery was fast but the charger broke. I am fed up! ";
	size_t ulen = sizeof(unit) - 1, reps = (200 * 1024) / ulen + 1, k, errpos = 0;
	char *text = malloc(reps * ulen + 1);
	const fs_result_t *res = NULL;

	(void)state;
	assert_non_null(text);
	for (k = 0; k < reps; k++) {
		memcpy(text + k * ulen, unit, ulen);
	}
	text[reps * ulen] = '\0';
	assert_true(reps * ulen >= 200 * 1024);
	assert_int_equal(fs_score(engine, scratch, text, reps * ulen, &res, &errpos), FS_OK);
	assert_true(res->ntokens > 10 * reps);
	assert_true(res->compound >= -1.0 && res->compound <= 1.0);
	assert_int_equal(res->label, FS_LABEL_NEGATIVE);
	/* two sentences per repetition */
	assert_approx(res->length_factor, sqrt((double)(2 * reps) / 3.0));
	assert_approx_eps(res->pos + res->neu + res->neg, 1.0, 1e-4);
	assert_non_null(cat(res, "delivery"));
	assert_non_null(cat(res, "product_quality"));
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_single_term),
	    cmocka_unit_test(test_rule_examples),
	    cmocka_unit_test(test_shipped_rule_examples),
	    cmocka_unit_test(test_negation_of_positive),
	    cmocka_unit_test(test_negation_of_negative),
	    cmocka_unit_test(test_negation_never),
	    cmocka_unit_test(test_negation_without),
	    cmocka_unit_test(test_negation_nobody),
	    cmocka_unit_test(test_negation_no_longer),
	    cmocka_unit_test(test_negation_typographic_contraction),
	    cmocka_unit_test(test_negation_stops_at_punctuation),
	    cmocka_unit_test(test_double_negation),
	    cmocka_unit_test(test_negation_window),
	    cmocka_unit_test(test_booster_very),
	    cmocka_unit_test(test_booster_extremely),
	    cmocka_unit_test(test_dampener_slightly),
	    cmocka_unit_test(test_dampener_multiword),
	    cmocka_unit_test(test_booster_decay),
	    cmocka_unit_test(test_booster_stops_at_punctuation),
	    cmocka_unit_test(test_caps_in_mixed_text),
	    cmocka_unit_test(test_caps_whole_text),
	    cmocka_unit_test(test_elongation),
	    cmocka_unit_test(test_exclamation),
	    cmocka_unit_test(test_exclamation_capped),
	    cmocka_unit_test(test_exclamation_per_sentence),
	    cmocka_unit_test(test_question_marks),
	    cmocka_unit_test(test_contrast),
	    cmocka_unit_test(test_multiple_contrasts),
	    cmocka_unit_test(test_concession),
	    cmocka_unit_test(test_concession_after_main_clause),
	    cmocka_unit_test(test_hypothetical),
	    cmocka_unit_test(test_hypothetical_clause_ends),
	    cmocka_unit_test(test_neutral_question),
	    cmocka_unit_test(test_question_after_opener),
	    cmocka_unit_test(test_question_after_condition),
	    cmocka_unit_test(test_balanced_verdict),
	    cmocka_unit_test(test_double_question_not_damped),
	    cmocka_unit_test(test_politeness_in_complaint),
	    cmocka_unit_test(test_politeness_counts_when_positive),
	    cmocka_unit_test(test_politeness_alone),
	    cmocka_unit_test(test_politeness_after_request),
	    cmocka_unit_test(test_irony_mark),
	    cmocka_unit_test(test_contrast_ending_sentence),
	    cmocka_unit_test(test_quoted_praise),
	    cmocka_unit_test(test_idioms),
	    cmocka_unit_test(test_idiom_not_split),
	    cmocka_unit_test(test_not_only_but_also),
	    cmocka_unit_test(test_emoji),
	    cmocka_unit_test(test_emoji_not_negated),
	    cmocka_unit_test(test_rule_on_hold),
	    cmocka_unit_test(test_rule_negatable_churn),
	    cmocka_unit_test(test_rule_covers_words),
	    cmocka_unit_test(test_rule_limit),
	    cmocka_unit_test(test_category_sentiment),
	    cmocka_unit_test(test_labels),
	    cmocka_unit_test(test_proportions),
	    cmocka_unit_test(test_offsets_after_apostrophe),
	    cmocka_unit_test(test_offsets_after_entity),
	    cmocka_unit_test(test_offsets_rule_and_elongation),
	    cmocka_unit_test(test_long_text),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_empty_text),
	    cmocka_unit_test(test_scratch_reuse),
	    cmocka_unit_test(test_big_text),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
