/*
 * fuzz_rules: the category taxonomy and regex rule loaders on arbitrary
 * data, and every rule that loads matched against hostile texts.
 *
 * Input: categories.conf text, a line "%%", then rules.conf text. Without
 * the "%%" line the whole input is rules.conf, and a small fixed taxonomy
 * (billing, delivery) stands in for categories.conf.
 *
 * The loads run without a diagnostics sink first; if that fails they run
 * again on fresh tables in keep-going mode, which must then succeed (it
 * skips bad lines and keeps broken rules out of matching) unless the
 * taxonomy is full or a line is not "[section]" or "key = value" at all
 * (fs_conf_parse stops there whatever the mode). Every rule in
 * the resulting set is matched, under a small PCRE2 match and depth limit
 * (fs_rules_set_limits), against fixed texts built to make patterns
 * backtrack, both raw and normalised as the scorer would give them.
 *
 * Checks: loaders return FS_OK or a parse/regex error with "name:line:",
 * never FS_ERR_NOMEM; rules have names, known flags and categories;
 * "always" rules are the ones without trigger words; matches are non-empty,
 * move forward and stay inside the subject.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "feedsense/rules.h"
#include "feedsense/tag.h"
#include "feedsense/text.h"
#include "fuzz_util.h"

#define MATCH_LIMIT 2000
#define DEPTH_LIMIT 200
#define MAX_MATCHES 64 /* per rule and text */

static const char base_categories[] = "[billing]\nlabel = Billing\nterms = charge, refund*, invoice\n"
				      "[delivery]\nlabel = Delivery\nterms = parcel, courier, out for delivery\n";

/* Repeated to fill a subject each, ending in '!' so that almost-matching patterns backtrack. */
static const char *const pieces[] = {
    "a", "ab", "refund refund ", "\xF0\x9F\x98\xA1\xE2\x80\x8D", "1,000.00 ", "it's not not NOT bad!!! ",
};
#define NHOSTILE (sizeof(pieces) / sizeof(pieces[0]))

static char hostile[NHOSTILE][1500];
static size_t hostile_len[NHOSTILE];
static fs_text_t text;

static void build_hostile(void)
{
	size_t i;

	for (i = 0; i < NHOSTILE; i++) {
		size_t n = strlen(pieces[i]), len = 0;
		while (len + n < sizeof(hostile[i]) - 2) {
			memcpy(hostile[i] + len, pieces[i], n);
			len += n;
		}
		hostile[i][len++] = '!';
		hostile[i][len] = '\0';
		hostile_len[i] = len;
	}
}

static void check_load(fs_err_t err, const char *what, const char *name, const char *errstr)
{
	FUZZ_CHECK(err != FS_ERR_NOMEM, "%s reported out of memory: %s", what, errstr);
	FUZZ_CHECK(err == FS_OK || err == FS_ERR_PARSE || err == FS_ERR_REGEX, "%s: %s: %s", what, fs_err2str(err),
		   errstr);
	if (err != FS_OK) {
		FUZZ_CHECK(strncmp(errstr, name, strlen(name)) == 0 && errstr[strlen(name)] == ':',
			   "%s: message does not start with \"%s:\": %s", what, name, errstr);
	}
}

static void match_all(const fs_rules_t *rules, fs_rules_scratch_t *scr, unsigned id, const char *s, size_t len)
{
	size_t start = 0, ms = 0, me = 0;
	unsigned n = 0;
	fs_rules_rc_t rc;

	while (n++ < MAX_MATCHES && (rc = fs_rules_match(rules, scr, id, s, len, start, &ms, &me)) == FS_RULES_MATCH) {
		FUZZ_CHECK(start <= ms && ms < me && me <= len, "rule %u: match [%zu, %zu) from %zu in %zu bytes", id,
			   ms, me, start, len);
		start = me;
	}
}

/* Load categories (the input's, or the fixed ones) then rules; returns the first error, its message in @p errstr. */
static fs_err_t load(fs_lexicon_t *lex, fs_tags_t *tags, fs_rules_t *rules, const char *cats, size_t cats_len,
		     const char *rdata, size_t rlen, fs_diag_t *diag, char *errstr, size_t errstr_size)
{
	fs_err_t err;

	errstr[0] = '\0';
	if (cats) {
		err = fs_tags_load(tags, lex, "categories.conf", cats, cats_len, diag, errstr, errstr_size);
		check_load(err, "fs_tags_load", "categories.conf", errstr);
		if (err != FS_OK) {
			return err;
		}
	} else {
		err = fs_tags_load(tags, lex, "base.conf", base_categories, sizeof(base_categories) - 1, diag, errstr,
				   errstr_size);
		FUZZ_CHECK(err == FS_OK, "fixed categories: %s", errstr);
	}
	errstr[0] = '\0';
	err = fs_rules_load(rules, lex, tags, "rules.conf", rdata, rlen, diag, errstr, errstr_size);
	check_load(err, "fs_rules_load", "rules.conf", errstr);
	return err;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	build_hostile();
	fs_text_init(&text);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *cats = NULL, *rdata = s;
	size_t cats_len = 0, rlen = size;
	fs_diag_t keep = {NULL, NULL, 1, 0, 0};
	fs_lexicon_t *lex;
	fs_tags_t *tags;
	fs_rules_t *rules;
	fs_rules_scratch_t *scr;
	const uint32_t *always;
	unsigned nalways, i, k, nalways_seen = 0;
	char errstr[1024];
	int pass;

	if (size >= 3 && memcmp(s, "%%\n", 3) == 0) {
		cats = s;
		rdata = s + 3;
		rlen = size - 3;
	} else {
		const char *sep = memmem(s, size, "\n%%\n", 4);
		if (sep) {
			cats = s;
			cats_len = (size_t)(sep - s) + 1;
			rdata = sep + 4;
			rlen = size - cats_len - 3;
		}
	}
	for (pass = 0;; pass++) {
		lex = fs_lexicon_new();
		tags = fs_tags_new();
		rules = fs_rules_new();
		FUZZ_CHECK(lex && tags && rules, "out of memory");
		if (load(lex, tags, rules, cats, cats_len, rdata, rlen, pass ? &keep : NULL, errstr, sizeof(errstr)) ==
		    FS_OK) {
			break;
		}
		fs_rules_destroy(rules);
		fs_tags_destroy(tags);
		fs_lexicon_destroy(lex);
		if (pass) {
			/* what keep-going mode does not skip: a full taxonomy and lines fs_conf_parse cannot read */
			FUZZ_CHECK(strstr(errstr, "more than 64 categories") ||
				       strstr(errstr, "expected key = value") ||
				       strstr(errstr, "section header lacks ']'") ||
				       strstr(errstr, "empty section name") || strstr(errstr, "missing key before '='") ||
				       strstr(errstr, "NUL byte in line"),
				   "keep-going load failed: %s", errstr);
			return 0;
		}
	}
	FUZZ_CHECK(fs_lexicon_freeze(lex) == FS_OK, "fs_lexicon_freeze failed");

	always = fs_rules_always(rules, &nalways);
	for (i = 0; i < nalways; i++) {
		FUZZ_CHECK(always[i] < fs_rules_count(rules) && fs_rules_get(rules, always[i])->always,
			   "always[%u] = %u", i, always[i]);
		FUZZ_CHECK(!i || always[i - 1] < always[i], "always list not increasing");
	}
	for (i = 0; i < fs_rules_count(rules); i++) {
		const fs_rule_t *r = fs_rules_get(rules, i);
		unsigned b;
		FUZZ_CHECK(r->name && *r->name, "rule %u has no name", i);
		FUZZ_CHECK(!r->has_valence || (r->valence >= -4 && r->valence <= 4), "rule %s valence %g", r->name,
			   (double)r->valence);
		FUZZ_CHECK(fs_tags_count(tags) == 64 || (r->cats >> fs_tags_count(tags)) == 0,
			   "rule %s names category bits 0x%llx of %u categories", r->name, (unsigned long long)r->cats,
			   fs_tags_count(tags));
		for (b = 0; b < FS_FLAGS_MAX; b++) {
			if (r->flags & (1u << b)) {
				FUZZ_CHECK(fs_rules_flag_name(rules, b) != NULL, "rule %s flag bit %u unnamed", r->name,
					   b);
			}
		}
		nalways_seen += r->always;
	}
	FUZZ_CHECK(nalways_seen == nalways, "%u rules marked always, %u listed", nalways_seen, nalways);

	fs_rules_set_limits(rules, MATCH_LIMIT, DEPTH_LIMIT);
	scr = fs_rules_scratch_new(rules);
	FUZZ_CHECK(scr != NULL, "fs_rules_scratch_new failed");
	for (k = 0; k < NHOSTILE; k++) {
		fs_err_t err = fs_text_process(&text, hostile[k], hostile_len[k], NULL);
		FUZZ_CHECK(err == FS_OK, "hostile text %u: %s", k, fs_err2str(err));
		for (i = 0; i < fs_rules_count(rules); i++) {
			match_all(rules, scr, i, hostile[k], hostile_len[k]);
			match_all(rules, scr, i, text.norm, text.norm_len);
		}
	}
	fs_rules_scratch_destroy(scr);
	fs_rules_destroy(rules);
	fs_tags_destroy(tags);
	fs_lexicon_destroy(lex);
	return 0;
}
