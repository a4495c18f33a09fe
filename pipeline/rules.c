/*
 * rules: rules.conf parsing, PCRE2 compilation with JIT, and bounded matching.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <math.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "feedsense/conf.h"
#include "feedsense/rules.h"

typedef struct rule_impl {
	fs_rule_t pub;
	pcre2_code *code;
	char *pattern;
	int has_requires;
} rule_impl_t;

struct fs_rules {
	rule_impl_t *rules;
	unsigned n, cap;
	char *flags[FS_FLAGS_MAX];
	unsigned nflags;
	uint32_t *always;
	unsigned nalways;
	uint32_t match_limit, depth_limit;
};

struct fs_rules_scratch {
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
};

static const char *builtin_flags[] = {"churn_risk", "legal_threat", "urgent", "safety", "abusive"};

fs_rules_t *fs_rules_new(void)
{
	fs_rules_t *rules = calloc(1, sizeof(*rules));
	unsigned i;

	if (!rules) {
		return NULL;
	}
	rules->match_limit = 200000;
	rules->depth_limit = 5000;
	for (i = 0; i < sizeof(builtin_flags) / sizeof(builtin_flags[0]); i++) {
		rules->flags[i] = strdup(builtin_flags[i]);
		if (!rules->flags[i]) {
			fs_rules_destroy(rules);
			return NULL;
		}
		rules->nflags++;
	}
	return rules;
}

void fs_rules_destroy(fs_rules_t *rules)
{
	unsigned i;

	if (!rules) {
		return;
	}
	for (i = 0; i < rules->n; i++) {
		pcre2_code_free(rules->rules[i].code);
		free(rules->rules[i].pattern);
		free((char *)rules->rules[i].pub.name);
	}
	for (i = 0; i < rules->nflags; i++) {
		free(rules->flags[i]);
	}
	free(rules->rules);
	free(rules->always);
	free(rules);
}

void fs_rules_set_limits(fs_rules_t *rules, uint32_t match_limit, uint32_t depth_limit)
{
	rules->match_limit = match_limit;
	rules->depth_limit = depth_limit;
}

unsigned fs_rules_count(const fs_rules_t *rules)
{
	return rules->n;
}

const fs_rule_t *fs_rules_get(const fs_rules_t *rules, unsigned id)
{
	return &rules->rules[id].pub;
}

const char *fs_rules_flag_name(const fs_rules_t *rules, unsigned bit)
{
	return bit < rules->nflags ? rules->flags[bit] : NULL;
}

int fs_rules_flag_find(const fs_rules_t *rules, const char *name)
{
	unsigned i;
	for (i = 0; i < rules->nflags; i++) {
		if (strcmp(rules->flags[i], name) == 0) {
			return (int)i;
		}
	}
	return -1;
}

const uint32_t *fs_rules_always(const fs_rules_t *rules, unsigned *n)
{
	*n = rules->nalways;
	return rules->always;
}

/* pcre2_callout_enumerate() callback: counts the callouts of a pattern. */
static int count_callout(pcre2_callout_enumerate_block *cb, void *opaque)
{
	(void)cb;
	(*(unsigned *)opaque)++;
	return 0;
}

/*
 * A rule can only match and score: no callout function is ever set on a
 * match context, and a pattern containing a callout, (?C1) or (?C"text"), is
 * refused at load, so a rules file never carries hooks for code to run.
 * Inline (*LIMIT_MATCH=n), (*LIMIT_DEPTH=n) and (*LIMIT_HEAP=n) settings can
 * only lower the limits of the match context, never raise them.
 */
static pcre2_code *compile(const char *pattern, char *errstr, size_t errstr_size)
{
	unsigned callouts = 0;
	int errcode;
	PCRE2_SIZE erroff;
	pcre2_code *code;
	uint32_t minlen = 0;

	code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C, &errcode,
			     &erroff, NULL);
	if (!code) {
		PCRE2_UCHAR msg[256];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		fs_seterr(errstr, errstr_size, FS_ERR_REGEX, "pattern error at offset %zu: %s", (size_t)erroff,
			  (const char *)msg);
		return NULL;
	}
	pcre2_callout_enumerate(code, count_callout, &callouts);
	if (callouts) {
		pcre2_code_free(code);
		fs_seterr(errstr, errstr_size, FS_ERR_REGEX, "callouts (?C...) are not allowed in rules");
		return NULL;
	}
	pcre2_pattern_info(code, PCRE2_INFO_MINLENGTH, &minlen);
	if (minlen == 0) {
		pcre2_code_free(code);
		fs_seterr(errstr, errstr_size, FS_ERR_REGEX, "pattern can match the empty string");
		return NULL;
	}
	/* JIT is an optimisation: if the platform lacks it, the interpreter runs.
	 * FEEDSENSE_TEST_NO_JIT selects the interpreter for valgrind, which cannot
	 * follow the machine code PCRE2 generates (make valgrind) */
	if (!getenv("FEEDSENSE_TEST_NO_JIT")) {
		(void)pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
	}
	return code;
}

fs_err_t fs_rules_check_pattern(const char *pattern, char *errstr, size_t errstr_size)
{
	pcre2_code *code = compile(pattern, errstr, errstr_size);
	if (!code) {
		return FS_ERR_REGEX;
	}
	pcre2_code_free(code);
	return FS_OK;
}

typedef struct load_ctx {
	fs_rules_t *rules;
	fs_lexicon_t *lex;
	const fs_tags_t *tags;
	const char *name;
	fs_diag_t *diag;
	int cur;       /* rule being read, -1 if none or rejected */
	unsigned first; /* first rule id loaded by this call */
} load_ctx_t;

static fs_err_t problem(load_ctx_t *c, char *errstr, size_t errstr_size, fs_err_t err, unsigned line,
			const char *msg, const char *arg)
{
	fs_diag_report(c->diag, 1, "%s:%u: %s%s", c->name, line, msg, arg ? arg : "");
	if (c->diag && c->diag->keep_going) {
		return FS_OK;
	}
	return fs_seterr(errstr, errstr_size, err, "%s:%u: %s%s", c->name, line, msg, arg ? arg : "");
}

static int find_rule(const fs_rules_t *rules, const char *name)
{
	unsigned i;
	for (i = 0; i < rules->n; i++) {
		if (strcmp(rules->rules[i].pub.name, name) == 0) {
			return (int)i;
		}
	}
	return -1;
}

/* Split a comma-separated list and call fn for each trimmed item. */
static fs_err_t each_item(const char *list, fs_err_t (*fn)(load_ctx_t *c, const char *item, unsigned line,
							   char *errstr, size_t errstr_size),
			  load_ctx_t *c, unsigned line, char *errstr, size_t errstr_size)
{
	char item[256];
	const char *p = list;

	while (*p) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		const char *q = p;
		fs_err_t err;

		while (n && *q == ' ') {
			q++;
			n--;
		}
		while (n && q[n - 1] == ' ') {
			n--;
		}
		if (n >= sizeof(item)) {
			n = sizeof(item) - 1;
		}
		if (n) {
			memcpy(item, q, n);
			item[n] = '\0';
			if ((err = fn(c, item, line, errstr, errstr_size)) != FS_OK) {
				return err;
			}
		}
		p += comma ? (size_t)(comma - p) + 1 : strlen(p);
	}
	return FS_OK;
}

static fs_err_t add_category(load_ctx_t *c, const char *item, unsigned line, char *errstr, size_t errstr_size)
{
	int id = fs_tags_find(c->tags, item);
	if (id < 0) {
		return problem(c, errstr, errstr_size, FS_ERR_PARSE, line, "unknown category ", item);
	}
	c->rules->rules[c->cur].pub.cats |= 1ULL << id;
	return FS_OK;
}

static fs_err_t add_flag(load_ctx_t *c, const char *item, unsigned line, char *errstr, size_t errstr_size)
{
	fs_rules_t *rules = c->rules;
	int bit = fs_rules_flag_find(rules, item);
	const char *s;

	for (s = item; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_')) {
			return problem(c, errstr, errstr_size, FS_ERR_PARSE, line,
				       "flag names are lower-case letters, digits and '_': ", item);
		}
	}
	if (bit < 0) {
		if (rules->nflags == FS_FLAGS_MAX) {
			return problem(c, errstr, errstr_size, FS_ERR_PARSE, line, "too many distinct flags at ", item);
		}
		rules->flags[rules->nflags] = strdup(item);
		if (!rules->flags[rules->nflags]) {
			return FS_ERR_NOMEM;
		}
		bit = (int)rules->nflags++;
	}
	rules->rules[c->cur].pub.flags |= 1u << bit;
	return FS_OK;
}

static fs_err_t add_requires(load_ctx_t *c, const char *item, unsigned line, char *errstr, size_t errstr_size)
{
	char es[256];
	fs_err_t err = fs_lexicon_add_trigger(c->lex, item, strlen(item), (uint32_t)c->cur, es, sizeof(es));
	if (err == FS_ERR_NOMEM) {
		return err;
	}
	if (err != FS_OK) {
		return problem(c, errstr, errstr_size, FS_ERR_PARSE, line, es, NULL);
	}
	if (strchr(item, ' ')) {
		return problem(c, errstr, errstr_size, FS_ERR_PARSE, line, "requires takes single words, not ", item);
	}
	c->rules->rules[c->cur].has_requires = 1;
	return FS_OK;
}

static int parse_bool(const char *v, int *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "on")) {
		*out = 1;
		return 0;
	}
	if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "off")) {
		*out = 0;
		return 0;
	}
	return -1;
}

static fs_err_t on_line(void *opaque, const char *section, const char *key, const char *value, unsigned line,
			char *errstr, size_t errstr_size)
{
	load_ctx_t *c = opaque;
	fs_rules_t *rules = c->rules;
	rule_impl_t *r;

	if (!key) {
		if (find_rule(rules, section) >= 0) {
			c->cur = -1;
			return problem(c, errstr, errstr_size, FS_ERR_PARSE, line, "duplicate rule name ", section);
		}
		if (rules->n == rules->cap) {
			unsigned cap = rules->cap ? rules->cap * 2 : 64;
			rule_impl_t *p = realloc(rules->rules, cap * sizeof(*p));
			if (!p) {
				return FS_ERR_NOMEM;
			}
			rules->rules = p;
			rules->cap = cap;
		}
		r = &rules->rules[rules->n];
		memset(r, 0, sizeof(*r));
		r->pub.name = strdup(section);
		r->pub.line = line;
		if (!r->pub.name) {
			return FS_ERR_NOMEM;
		}
		c->cur = (int)rules->n++;
		return FS_OK;
	}
	if (c->cur < 0) {
		if (!*section) {
			return problem(c, errstr, errstr_size, FS_ERR_PARSE, line, "key outside a [rule] section: ", key);
		}
		return FS_OK;
	}
	r = &rules->rules[c->cur];
	if (!strcmp(key, "pattern")) {
		char es[512];
		if (r->code) {
			return problem(c, errstr, errstr_size, FS_ERR_PARSE, line, "rule has two patterns: ", r->pub.name);
		}
		r->code = compile(value, es, sizeof(es));
		if (!r->code) {
			return problem(c, errstr, errstr_size, FS_ERR_REGEX, line, es, NULL);
		}
		r->pattern = strdup(value);
		return r->pattern ? FS_OK : FS_ERR_NOMEM;
	}
	if (!strcmp(key, "valence")) {
		char *end;
		double v;
		errno = 0;
		v = strtod(value, &end);
		if (errno || end == value || *end || !isfinite(v)) {
			return problem(c, errstr, errstr_size, FS_ERR_PARSE, line, "valence is not a number: ", value);
		}
		if (v < -4 || v > 4) {
			return problem(c, errstr, errstr_size, FS_ERR_PARSE, line, "valence out of range -4..4: ", value);
		}
		r->pub.valence = (float)v;
		r->pub.has_valence = 1;
		return FS_OK;
	}
	if (!strcmp(key, "category")) {
		return each_item(value, add_category, c, line, errstr, errstr_size);
	}
	if (!strcmp(key, "flag")) {
		return each_item(value, add_flag, c, line, errstr, errstr_size);
	}
	if (!strcmp(key, "requires")) {
		return each_item(value, add_requires, c, line, errstr, errstr_size);
	}
	if (!strcmp(key, "negatable")) {
		int b;
		if (parse_bool(value, &b) != 0) {
			return problem(c, errstr, errstr_size, FS_ERR_PARSE, line, "negatable must be yes or no: ", value);
		}
		r->pub.negatable = (uint8_t)b;
		return FS_OK;
	}
	return problem(c, errstr, errstr_size, FS_ERR_PARSE, line,
		       "unknown key (pattern, requires, valence, category, flag, negatable): ", key);
}

fs_err_t fs_rules_load(fs_rules_t *rules, fs_lexicon_t *lex, const fs_tags_t *tags, const char *name,
		       const char *data, size_t len, fs_diag_t *diag, char *errstr, size_t errstr_size)
{
	load_ctx_t c = {rules, lex, tags, name, diag, -1, rules->n};
	fs_err_t err = fs_conf_parse(name, data, len, on_line, &c, errstr, errstr_size);
	unsigned i, k;

	if (err != FS_OK) {
		return err;
	}
	/* validate what this file added; in keep-going mode drop broken rules */
	for (i = c.first; i < rules->n; i++) {
		rule_impl_t *r = &rules->rules[i];
		const char *why = NULL;
		if (!r->code) {
			why = "rule has no (valid) pattern: ";
		} else if (!r->pub.has_valence && !r->pub.cats && !r->pub.flags) {
			why = "rule has no action (valence, category or flag): ";
		}
		if (why) {
			err = problem(&c, errstr, errstr_size, FS_ERR_PARSE, r->pub.line, why, r->pub.name);
			if (err != FS_OK) {
				return err;
			}
		} else if (!r->has_requires) {
			fs_diag_report(diag, 0, "%s:%u: rule %s has no 'requires' words and runs on every text", name,
				       r->pub.line, r->pub.name);
		}
	}
	free(rules->always);
	rules->always = NULL;
	rules->nalways = 0;
	for (i = 0; i < rules->n; i++) {
		if (!rules->rules[i].has_requires && rules->rules[i].code) {
			rules->nalways++;
		}
	}
	if (rules->nalways) {
		rules->always = malloc(rules->nalways * sizeof(uint32_t));
		if (!rules->always) {
			return FS_ERR_NOMEM;
		}
		for (i = 0, k = 0; i < rules->n; i++) {
			if (!rules->rules[i].has_requires && rules->rules[i].code) {
				rules->rules[i].pub.always = 1;
				rules->always[k++] = i;
			}
		}
	}
	return FS_OK;
}

fs_rules_scratch_t *fs_rules_scratch_new(const fs_rules_t *rules)
{
	fs_rules_scratch_t *scr = calloc(1, sizeof(*scr));

	if (!scr) {
		return NULL;
	}
	scr->md = pcre2_match_data_create(1, NULL);
	scr->mctx = pcre2_match_context_create(NULL);
	scr->jit = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
	if (!scr->md || !scr->mctx) {
		fs_rules_scratch_destroy(scr);
		return NULL;
	}
	pcre2_set_match_limit(scr->mctx, rules->match_limit);
	pcre2_set_depth_limit(scr->mctx, rules->depth_limit);
	pcre2_set_heap_limit(scr->mctx, 20000); /* KiB */
	if (scr->jit) {
		pcre2_jit_stack_assign(scr->mctx, NULL, scr->jit);
	}
	return scr;
}

void fs_rules_scratch_destroy(fs_rules_scratch_t *scr)
{
	if (!scr) {
		return;
	}
	pcre2_match_data_free(scr->md);
	pcre2_match_context_free(scr->mctx);
	pcre2_jit_stack_free(scr->jit);
	free(scr);
}

fs_rules_rc_t fs_rules_match(const fs_rules_t *rules, fs_rules_scratch_t *scr, unsigned id, const char *subject,
			     size_t len, size_t start, size_t *ms, size_t *me)
{
	const rule_impl_t *r = &rules->rules[id];
	PCRE2_SIZE *ov;
	int rc;

	if (!r->code || start > len) {
		return FS_RULES_NOMATCH;
	}
	rc = pcre2_match(r->code, (PCRE2_SPTR)subject, len, start, PCRE2_NO_UTF_CHECK, scr->md, scr->mctx);
	if (rc == PCRE2_ERROR_NOMATCH) {
		return FS_RULES_NOMATCH;
	}
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT || rc == PCRE2_ERROR_HEAPLIMIT ||
	    rc == PCRE2_ERROR_JIT_STACKLIMIT) {
		return FS_RULES_LIMIT;
	}
	if (rc < 0) {
		return FS_RULES_ERROR;
	}
	ov = pcre2_get_ovector_pointer(scr->md);
	*ms = ov[0];
	*me = ov[1];
	if (*me <= *ms) {
		return FS_RULES_NOMATCH; /* cannot happen: empty-matching patterns are refused */
	}
	return FS_RULES_MATCH;
}
