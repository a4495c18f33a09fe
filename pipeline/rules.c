/*
 * rules: rules.conf parsing, PCRE2 compilation with JIT, bounded matching,
 * and the required-literal prefilter that spares rules which cannot match.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "feedsense/buf.h"
#include "feedsense/conf.h"
#include "feedsense/rules.h"

typedef struct rule_impl {
	fs_rule_t pub;
	pcre2_code *code;
	char *pattern;
	int has_requires;
	int jit;                 /* JIT-compiled: matched with pcre2_jit_match() directly */
	uint32_t pf_first, pf_n; /* its factors in the prefilter tables */
	fs_rule_example_t *ex;   /* `example` and `counter` lines, in file order */
	unsigned nex;
} rule_impl_t;

#define PF_ANCHOR_BITS    13 /* the prefilter's literals sit in 2^13 buckets by anchor trigram */
#define PF_ANCHOR_BUCKETS (1u << PF_ANCHOR_BITS)

/* A literal in its anchor bucket, with its first bytes (up to 8, as a
 * little-endian word, and the mask of those) for a quick comparison. */
struct pf_anc {
	uint64_t word, mask;
	uint32_t lit;      /* literal id */
	uint16_t off, len; /* offset of its anchor, its length */
};

struct fs_rules {
	rule_impl_t *rules;
	unsigned n, cap;
	char *flags[FS_FLAGS_MAX];
	unsigned nflags;
	uint32_t *always;
	unsigned nalways;
	uint32_t match_limit, depth_limit;
	/* prefilter (see "Required literals" below). The distinct literals,
	 * literal i being lit[lit_off[i] .. lit_off[i + 1]) and found by its
	 * trigram at offset lit_anchor[i]; the factors of all rules, factor f
	 * holding the literals fac_lits[fac_end[f - 1] .. fac_end[f]) (from 0
	 * for f = 0), and literal i belonging to the factors lit_fac[lit_fac_off[i]
	 * .. lit_fac_off[i + 1]); anchor bucket b holding the literals
	 * anc[anc_off[b] .. anc_off[b + 1]) */
	char *lit;
	uint32_t *lit_off, *lit_anchor, *fac_lits, *fac_end, *lit_fac, *lit_fac_off, *anc_off;
	struct pf_anc *anc;
	uint32_t *lit_hash; /* literal interning, while loading */
	unsigned nlit, nfac;
	struct {
		size_t lit_size, lit_cap, lit_off_cap, hash_size, nfac_lits, fac_lits_cap, fac_end_cap;
		uint64_t anc_any[PF_ANCHOR_BUCKETS / 64]; /* buckets holding a literal */
	} pf;
};

struct fs_rules_scratch {
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit;
	/* the text the prefilter answers for, and, once scanned, the literals
	 * and the factors found in it (bit i of word i / 64) */
	const char *subject;
	size_t subject_len;
	int scanned;
	unsigned nlit, nfac;
	uint64_t *lit_found, *fac_found;
};

static void pf_free(fs_rules_t *rules);
static fs_err_t pf_build(fs_rules_t *rules);

static inline int ascii_alnum(unsigned c)
{
	return ((c | 32) >= 'a' && (c | 32) <= 'z') || (c >= '0' && c <= '9');
}

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
		for (unsigned k = 0; k < rules->rules[i].nex; k++) {
			free((char *)rules->rules[i].ex[k].text);
		}
		free(rules->rules[i].ex);
	}
	for (i = 0; i < rules->nflags; i++) {
		free(rules->flags[i]);
	}
	free(rules->rules);
	free(rules->always);
	pf_free(rules);
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

const fs_rule_example_t *fs_rules_examples(const fs_rules_t *rules, unsigned id, unsigned *n)
{
	*n = id < rules->n ? rules->rules[id].nex : 0;
	return *n ? rules->rules[id].ex : NULL;
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
	int cur;        /* rule being read, -1 if none or rejected */
	unsigned first; /* first rule id loaded by this call */
} load_ctx_t;

static fs_err_t problem(load_ctx_t *c, char *errstr, size_t errstr_size, fs_err_t err, unsigned line, const char *msg,
			const char *arg)
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
static fs_err_t each_item(const char *list,
			  fs_err_t (*fn)(load_ctx_t *c, const char *item, unsigned line, char *errstr,
					 size_t errstr_size),
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
			return problem(c, errstr, errstr_size, FS_ERR_PARSE, line,
				       "key outside a [rule] section: ", key);
		}
		return FS_OK;
	}
	r = &rules->rules[c->cur];
	if (!strcmp(key, "pattern")) {
		char es[512];
		if (r->code) {
			return problem(c, errstr, errstr_size, FS_ERR_PARSE, line,
				       "rule has two patterns: ", r->pub.name);
		}
		r->code = compile(value, es, sizeof(es));
		if (!r->code) {
			return problem(c, errstr, errstr_size, FS_ERR_REGEX, line, es, NULL);
		}
		{
			size_t jitsize = 0;
			r->jit = pcre2_pattern_info(r->code, PCRE2_INFO_JITSIZE, &jitsize) == 0 && jitsize > 0;
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
			return problem(c, errstr, errstr_size, FS_ERR_PARSE, line,
				       "valence out of range -4..4: ", value);
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
			return problem(c, errstr, errstr_size, FS_ERR_PARSE, line,
				       "negatable must be yes or no: ", value);
		}
		r->pub.negatable = (uint8_t)b;
		return FS_OK;
	}
	if (!strcmp(key, "example") || !strcmp(key, "counter")) {
		fs_rule_example_t *p;
		if (!*value) {
			return problem(c, errstr, errstr_size, FS_ERR_PARSE, line, "empty text for ", key);
		}
		p = realloc(r->ex, (r->nex + 1) * sizeof(*p));
		if (!p) {
			return FS_ERR_NOMEM;
		}
		r->ex = p;
		p[r->nex].text = strdup(value);
		p[r->nex].line = line;
		p[r->nex].counter = key[0] == 'c';
		if (!p[r->nex].text) {
			return FS_ERR_NOMEM;
		}
		r->nex++;
		return FS_OK;
	}
	return problem(c, errstr, errstr_size, FS_ERR_PARSE, line,
		       "unknown key (pattern, requires, valence, category, flag, negatable, example, counter): ", key);
}

fs_err_t fs_rules_load(fs_rules_t *rules, fs_lexicon_t *lex, const fs_tags_t *tags, const char *name, const char *data,
		       size_t len, fs_diag_t *diag, char *errstr, size_t errstr_size)
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
	return pf_build(rules);
}

/* ------------------------------------------------------------------ */
/* Required literals: the prefilter                                    */

/*
 * Nine rule runs in ten find nothing, and every run scans the whole text.
 * At load time each pattern is therefore analysed for the literal strings
 * its matches need. The result is a short list of "factors", each a set of
 * strings: whenever the pattern matches a subject, the subject contains at
 * least one string of every factor. Before a rule runs, its factors are
 * looked up in the text; a factor none of whose strings occurs proves that
 * the rule cannot match, and the rule is skipped. The analysis may miss
 * requirements (a rule then runs for nothing) but must never invent one (a
 * rule would then miss a match), so anything it does not understand counts
 * as "matches anything, requires nothing", and syntax it cannot even walk
 * over safely (options such as (?i), backreferences, \Q...\E, callouts, a
 * brace that is not a quantifier) leaves the rule without a prefilter.
 *
 * The pattern is walked once, recursively, and every node (a literal, a
 * class, a group, an alternation, a sequence, a repeat) gets
 *
 *   exact    when the node can only match a small finite set of strings,
 *            that set ("on" -> {on}; (?:kept|put) on -> {kept on, put on};
 *            hours? -> {hour, hours}; [sz] -> {s, z}; \b -> {""});
 *   factors  up to PF_NODE_FACTORS sets, each with one string in the
 *            subject whenever the node matches.
 *
 * A sequence multiplies neighbouring exact sets into longer strings ("on
 * hold " (?:for )? -> {on hold , on hold for }) until a non-exact item, or
 * a product of more than PF_SET_MAX strings or longer than PF_LIT_MAX
 * bytes, ends the run; each finished run becomes a factor, and the factors
 * of the items are kept. An alternation is exact when all its branches are;
 * its factor is the union of one factor of each branch (none if a branch
 * has none). A repeat that may match nothing (?, *, {0,n}) keeps no factor
 * and is exact only as x? (the set plus the empty string); one that must
 * match once or more keeps its operand's factors and set. Lookaheads and
 * lookbehinds match the empty string, but a positive one passes its
 * factors on: its strings must be in the subject too, next to the match.
 * Negative ones require nothing. Every string is looked for anywhere in
 * the subject, never at a position, so a literal from a lookbehind, from
 * before the start offset of a later search, or from inside the match is
 * all the same.
 *
 * Strings shorter than PF_LIT_MIN bytes occur in nearly every text; a
 * factor holding one is dropped. Of the factors left, each node keeps the
 * most selective, estimating a factor's chance of being found as the sum
 * over its strings of 2^-length, and a rule is checked against its
 * PF_RULE_FACTORS best, most selective first.
 *
 * At run time fs_rules_set_subject() starts a new text, and the first
 * fs_rules_may_match() on it scans the text once for the literals of all
 * rules (pf_scan()); from then on a rule is checked with one bit per
 * factor. A rule skipped this way finds no match, and would have found
 * none: results are the same as without the prefilter, except that a rule
 * which cannot match is not counted in rule_limit_hits when, run, it would
 * have exhausted a PCRE2 limit looking.
 */

#define PF_LIT_MIN      3   /* shorter strings are too common to rule anything out */
#define PF_LIT_MAX      64  /* longest string built by products */
#define PF_SET_MAX      48  /* most strings in one exact set */
#define PF_FACTOR_MAX   192 /* most strings in one factor */
#define PF_CLASS_MAX    10  /* a class of more characters is "anything" */
#define PF_NODE_FACTORS 8   /* factors kept per node */
#define PF_RULE_FACTORS 8   /* factors checked per rule */
#define PF_DEPTH_MAX    64  /* deeper group nesting: no prefilter */
#define PF_ARENA_CHUNK  65536
#define PF_ARENA_MAX    (16u << 20) /* more analysis memory than this: no prefilter */

typedef struct pf_chunk {
	struct pf_chunk *next;
	size_t used, cap;
	char data[];
} pf_chunk_t;

typedef struct pf_arena {
	pf_chunk_t *head;
	size_t total;
} pf_arena_t;

typedef struct pf_lit {
	const char *p;
	uint32_t len;
} pf_lit_t;

typedef struct pf_set {
	const pf_lit_t *v;
	unsigned n;
} pf_set_t;

typedef struct pf_node {
	int exact; /* set is every string the node can match */
	pf_set_t set;
	unsigned nfac;
	pf_set_t fac[PF_NODE_FACTORS];
} pf_node_t;

typedef struct pf_parser {
	const char *p, *end;
	pf_arena_t *arena;
	unsigned depth;
	int bad; /* unsupported syntax or out of memory: no prefilter */
} pf_parser_t;

static const pf_lit_t pf_empty_lit = {"", 0};
static const pf_set_t pf_empty = {&pf_empty_lit, 1}; /* matches the empty string only */

static void *pf_alloc(pf_parser_t *x, size_t n)
{
	pf_arena_t *a = x->arena;
	pf_chunk_t *c = a->head;
	void *p;

	n = (n + 7) & ~(size_t)7;
	if (!c || c->cap - c->used < n) {
		size_t cap = n > PF_ARENA_CHUNK ? n : PF_ARENA_CHUNK;
		if (a->total + cap > PF_ARENA_MAX || !(c = malloc(sizeof(*c) + cap))) {
			x->bad = 1;
			return NULL;
		}
		c->next = a->head;
		c->used = 0;
		c->cap = cap;
		a->head = c;
		a->total += cap;
	}
	p = c->data + c->used;
	c->used += n;
	return p;
}

static void pf_arena_free(pf_arena_t *a)
{
	while (a->head) {
		pf_chunk_t *c = a->head;
		a->head = c->next;
		free(c);
	}
	a->total = 0;
}

static int pf_set_has(const pf_lit_t *v, unsigned n, const char *p, uint32_t len)
{
	unsigned i;
	for (i = 0; i < n; i++) {
		if (v[i].len == len && memcmp(v[i].p, p, len) == 0) {
			return 1;
		}
	}
	return 0;
}

/* {a + b : a in A, b in B}; 0 if it would be too large (or memory ran out). */
static int pf_product(pf_parser_t *x, const pf_set_t *a, const pf_set_t *b, pf_set_t *out)
{
	pf_lit_t *v;
	unsigned i, j, n = 0;

	if ((size_t)a->n * b->n > PF_SET_MAX || !(v = pf_alloc(x, (size_t)a->n * b->n * sizeof(*v)))) {
		return 0;
	}
	for (i = 0; i < a->n; i++) {
		for (j = 0; j < b->n; j++) {
			uint32_t len = a->v[i].len + b->v[j].len;
			char *s;
			if (len > PF_LIT_MAX) {
				return 0;
			}
			if (!b->v[j].len || !a->v[i].len) {
				s = (char *)(b->v[j].len ? b->v[j].p : a->v[i].p);
			} else if ((s = pf_alloc(x, len))) {
				memcpy(s, a->v[i].p, a->v[i].len);
				memcpy(s + a->v[i].len, b->v[j].p, b->v[j].len);
			} else {
				return 0;
			}
			if (!pf_set_has(v, n, s, len)) {
				v[n].p = s;
				v[n].len = len;
				n++;
			}
		}
	}
	out->v = v;
	out->n = n;
	return 1;
}

/* A union B; 0 if it would hold more than @p max strings (or memory ran out). */
static int pf_union(pf_parser_t *x, const pf_set_t *a, const pf_set_t *b, unsigned max, pf_set_t *out)
{
	pf_lit_t *v;
	unsigned i, n;

	if (a->n + b->n > max || !(v = pf_alloc(x, (size_t)(a->n + b->n) * sizeof(*v)))) {
		return 0;
	}
	if (a->n) {
		memcpy(v, a->v, a->n * sizeof(*v));
	}
	n = a->n;
	for (i = 0; i < b->n; i++) {
		if (!pf_set_has(v, n, b->v[i].p, b->v[i].len)) {
			v[n++] = b->v[i];
		}
	}
	out->v = v;
	out->n = n;
	return 1;
}

/* Estimated chance that a text holds some string of @p s, scaled: the sum of
 * 2^(16 - length). Lower is more selective; UINT32_MAX: not a factor. */
static uint32_t pf_cost(const pf_set_t *s)
{
	uint32_t cost = 0;
	unsigned i;

	if (!s->n) {
		return UINT32_MAX;
	}
	for (i = 0; i < s->n; i++) {
		if (s->v[i].len < PF_LIT_MIN) {
			return UINT32_MAX;
		}
		cost += 1u << (16 - (s->v[i].len > 16 ? 16 : s->v[i].len));
	}
	return cost;
}

/* Is @p n bytes at @p needle inside @p hn bytes at @p hay? For the short
 * strings of the analysis, a plain loop beats memmem()'s setup. */
static int pf_contains(const char *hay, size_t hn, const char *needle, size_t n)
{
	size_t i;

	if (n > hn) {
		return 0;
	}
	if (!n) {
		return 1;
	}
	for (i = 0; i + n <= hn; i++) {
		if (hay[i] == needle[0] && memcmp(hay + i, needle, n) == 0) {
			return 1;
		}
	}
	return 0;
}

/*
 * Drop from factor @p s every string that contains another one of its
 * strings: the shorter one is in the text whenever the longer one is, so
 * the factor says the same with fewer strings to look for ("on hold ",
 * "on hold for " -> "on hold "). Only for factors: an exact set must keep
 * all its strings. Returns 0 if memory ran out.
 */
static int pf_minimise(pf_parser_t *x, pf_set_t *s)
{
	pf_lit_t *v;
	unsigned i, j, n = 0;

	if (s->n < 2) {
		return 1;
	}
	if (!(v = pf_alloc(x, s->n * sizeof(*v)))) {
		return 0;
	}
	for (i = 0; i < s->n; i++) {
		for (j = 0; j < s->n; j++) {
			if (j != i && s->v[j].len <= s->v[i].len &&
			    (s->v[j].len < s->v[i].len || j < i) && /* of two equal strings keep the first */
			    pf_contains(s->v[i].p, s->v[i].len, s->v[j].p, s->v[j].len)) {
				break;
			}
		}
		if (j == s->n) {
			v[n++] = s->v[i];
		}
	}
	s->v = v;
	s->n = n;
	return 1;
}

/* Does every string of @p a contain a string of @p b? Then wherever @p a is
 * satisfied @p b is, and @p b says nothing more. */
static int pf_implies(const pf_set_t *a, const pf_set_t *b)
{
	unsigned i, j;

	for (i = 0; i < a->n; i++) {
		for (j = 0; j < b->n; j++) {
			if (pf_contains(a->v[i].p, a->v[i].len, b->v[j].p, b->v[j].len)) {
				break;
			}
		}
		if (j == b->n) {
			return 0;
		}
	}
	return 1;
}

/* Keep factor @p s in @p node if it is usable, says something the node's
 * factors do not, and is among the most selective. */
static void pf_add_factor(pf_parser_t *x, pf_node_t *node, const pf_set_t *s)
{
	pf_set_t m = *s;
	uint32_t cost, worst_cost = 0;
	unsigned i, worst = 0;

	if (pf_cost(&m) == UINT32_MAX || !pf_minimise(x, &m)) {
		return;
	}
	for (i = 0; i < node->nfac; i++) {
		if (pf_implies(&node->fac[i], &m)) {
			return;
		}
	}
	for (i = 0; i < node->nfac;) {
		if (pf_implies(&m, &node->fac[i])) {
			node->fac[i] = node->fac[--node->nfac]; /* m says more */
		} else {
			i++;
		}
	}
	cost = pf_cost(&m);
	if (node->nfac < PF_NODE_FACTORS) {
		node->fac[node->nfac++] = m;
		return;
	}
	for (i = 0; i < node->nfac; i++) {
		uint32_t c = pf_cost(&node->fac[i]);
		if (c > worst_cost) {
			worst_cost = c;
			worst = i;
		}
	}
	if (cost < worst_cost) {
		node->fac[worst] = m;
	}
}

static void pf_set_exact(pf_node_t *node, const pf_set_t *s)
{
	node->exact = 1;
	node->set = *s;
	node->nfac = 0;
}

static void pf_single(pf_parser_t *x, pf_node_t *node, const char *p, uint32_t len)
{
	pf_lit_t *v = pf_alloc(x, sizeof(*v));
	pf_set_t s;

	if (!v) {
		return;
	}
	v->p = p;
	v->len = len;
	s.v = v;
	s.n = 1;
	pf_set_exact(node, &s);
}

/* The characters set in @p bits, as one-character strings. */
static void pf_chars(pf_parser_t *x, pf_node_t *node, const uint8_t *bits)
{
	static const char all[256] = {
#define PF_B(i)                                                                                                        \
	(char)(i), (char)(i + 1), (char)(i + 2), (char)(i + 3), (char)(i + 4), (char)(i + 5), (char)(i + 6),           \
	    (char)(i + 7)
	    PF_B(0),  PF_B(8),  PF_B(16), PF_B(24), PF_B(32), PF_B(40),  PF_B(48),  PF_B(56),
	    PF_B(64), PF_B(72), PF_B(80), PF_B(88), PF_B(96), PF_B(104), PF_B(112), PF_B(120),
#undef PF_B
	};
	pf_lit_t *v;
	unsigned c, n = 0;

	for (c = 0; c < 128; c++) {
		n += (bits[c >> 3] >> (c & 7)) & 1;
	}
	if (n == 0 || n > PF_CLASS_MAX || !(v = pf_alloc(x, n * sizeof(*v)))) {
		return; /* "anything" */
	}
	for (c = 0, n = 0; c < 128; c++) {
		if ((bits[c >> 3] >> (c & 7)) & 1) {
			v[n].p = &all[c];
			v[n].len = 1;
			n++;
		}
	}
	node->exact = 1;
	node->set.v = v;
	node->set.n = n;
}

static void pf_alt(pf_parser_t *x, pf_node_t *out);

/* A backslash escape outside a class. */
static void pf_escape(pf_parser_t *x, pf_node_t *out)
{
	static const char ctl[] = "\n\t\r\f\x1b\x07";
	static const uint8_t digits[32] = {[6] = 0xFF, [7] = 0x03};
	unsigned char c;

	if (++x->p >= x->end) {
		x->bad = 1;
		return;
	}
	c = (unsigned char)*x->p++;
	switch (c) {
	case 'b':
	case 'B':
	case 'A':
	case 'z':
	case 'Z':
	case 'G':
	case 'K': pf_set_exact(out, &pf_empty); return; /* \K moves the reported start only */
	case 'd': pf_chars(x, out, digits); return;
	case 'w':
	case 'W':
	case 's':
	case 'S':
	case 'D':
	case 'h':
	case 'H':
	case 'v':
	case 'V':
	case 'R':
	case 'X': return; /* anything */
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		/* a back reference: the text of its group again, so anything (its
		 * own strings were required where the group matched) */
		while (x->p < x->end && *x->p >= '0' && *x->p <= '9') {
			x->p++;
		}
		return;
	case 'N':
		if (x->p < x->end && *x->p == '{') {
			x->bad = 1;
		}
		return;
	case 'n': pf_single(x, out, &ctl[0], 1); return;
	case 't': pf_single(x, out, &ctl[1], 1); return;
	case 'r': pf_single(x, out, &ctl[2], 1); return;
	case 'f': pf_single(x, out, &ctl[3], 1); return;
	case 'e': pf_single(x, out, &ctl[4], 1); return;
	case 'a': pf_single(x, out, &ctl[5], 1); return;
	default: break;
	}
	if (c < 0x80 && !(ascii_alnum(c))) {
		pf_single(x, out, x->p - 1, 1); /* an escaped punctuation character is itself */
		return;
	}
	x->bad = 1; /* \x, \p, \Q, \g and the rest: not analysed */
}

/* Length of the UTF-8 sequence at x->p (the pattern compiled in UTF mode). */
static size_t pf_u8len(pf_parser_t *x)
{
	unsigned char c = (unsigned char)*x->p;
	size_t n = c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4, k;

	if ((size_t)(x->end - x->p) < n) {
		x->bad = 1;
		return 1;
	}
	for (k = 1; k < n; k++) {
		if (((unsigned char)x->p[k] & 0xC0) != 0x80) {
			x->bad = 1;
		}
	}
	return n;
}

/* One member of a class: its byte, or -1 after a class escape (\d, \w ...)
 * or a non-ASCII character, which are recorded in @p bits or @p wide. */
static int pf_class_char(pf_parser_t *x, uint8_t *bits, int *wide)
{
	static const uint8_t digits[32] = {[6] = 0xFF, [7] = 0x03};
	unsigned char c = (unsigned char)*x->p;
	unsigned k;

	if (c == '[' && x->p + 1 < x->end && (x->p[1] == ':' || x->p[1] == '.' || x->p[1] == '=')) {
		x->bad = 1; /* POSIX class */
		return -1;
	}
	if (c >= 0x80) {
		x->p += pf_u8len(x);
		*wide = 1;
		return -1;
	}
	if (c != '\\') {
		x->p++;
		return c;
	}
	if (++x->p >= x->end) {
		x->bad = 1;
		return -1;
	}
	c = (unsigned char)*x->p++;
	switch (c) {
	case 'd':
		for (k = 0; k < 32; k++) {
			bits[k] |= digits[k];
		}
		return -1;
	case 'w':
	case 'W':
	case 's':
	case 'S':
	case 'D':
	case 'h':
	case 'H':
	case 'v':
	case 'V': *wide = 1; return -1;
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	case 'f': return '\f';
	case 'e': return 0x1b;
	case 'a': return 0x07;
	case 'b': return 0x08;
	default: break;
	}
	if (c < 0x80 && !ascii_alnum(c)) {
		return c;
	}
	x->bad = 1;
	return -1;
}

static void pf_class(pf_parser_t *x, pf_node_t *out)
{
	uint8_t bits[32] = {0};
	int neg = 0, wide = 0, first = 1;

	x->p++;
	if (x->p < x->end && *x->p == '^') {
		neg = 1;
		x->p++;
	}
	for (;;) {
		int lo, hi;
		if (x->p >= x->end) {
			x->bad = 1;
			return;
		}
		if (*x->p == ']' && !first) {
			x->p++;
			break;
		}
		first = 0;
		lo = pf_class_char(x, bits, &wide);
		if (x->bad) {
			return;
		}
		if (x->p + 1 < x->end && *x->p == '-' && x->p[1] != ']') {
			x->p++;
			hi = pf_class_char(x, bits, &wide);
			if (x->bad) {
				return;
			}
			if (lo < 0 || hi < 0 || hi < lo) {
				if (!wide) {
					x->bad = 1; /* not a range PCRE2 would accept */
					return;
				}
				continue; /* a non-ASCII end: the class is "anything" already */
			}
			for (; lo <= hi; lo++) {
				bits[lo >> 3] |= (uint8_t)(1u << (lo & 7));
			}
		} else if (lo >= 0) {
			bits[lo >> 3] |= (uint8_t)(1u << (lo & 7));
		}
	}
	if (!neg && !wide) {
		pf_chars(x, out, bits);
	}
}

static void pf_group(pf_parser_t *x, pf_node_t *out)
{
	enum { PLAIN, POSITIVE, NEGATIVE } kind = PLAIN;
	pf_node_t in;
	unsigned k;

	x->p++;
	if (x->p < x->end && *x->p == '*') {
		x->bad = 1; /* (*VERB) */
		return;
	}
	if (x->p < x->end && *x->p == '?') {
		char c = ++x->p < x->end ? *x->p : '\0', d = x->p + 1 < x->end ? x->p[1] : '\0';
		if (c == ':' || c == '>' || c == '|') {
			x->p++;
		} else if (c == '=' || c == '!') {
			kind = c == '=' ? POSITIVE : NEGATIVE;
			x->p++;
		} else if (c == '<' && (d == '=' || d == '!')) {
			kind = d == '=' ? POSITIVE : NEGATIVE;
			x->p += 2;
		} else if (c == '<' || c == '\'' || (c == 'P' && d == '<')) {
			char close = c == '\'' ? '\'' : '>'; /* named group */
			x->p++;
			while (x->p < x->end && *x->p != close) {
				x->p++;
			}
			if (x->p++ >= x->end) {
				x->bad = 1;
				return;
			}
		} else if (c == '#') {
			while (x->p < x->end && *x->p != ')') {
				x->p++;
			}
			if (x->p++ >= x->end) {
				x->bad = 1;
				return;
			}
			pf_set_exact(out, &pf_empty);
			return;
		} else {
			x->bad = 1; /* options, conditions, recursion, callouts */
			return;
		}
	}
	if (++x->depth > PF_DEPTH_MAX) {
		x->bad = 1;
		return;
	}
	pf_alt(x, &in);
	x->depth--;
	if (x->bad || x->p >= x->end || *x->p != ')') {
		x->bad = 1;
		return;
	}
	x->p++;
	if (kind == PLAIN) {
		*out = in;
		return;
	}
	pf_set_exact(out, &pf_empty);
	if (kind == POSITIVE) {
		for (k = 0; k < in.nfac; k++) {
			pf_add_factor(x, out, &in.fac[k]);
		}
		if (in.exact) {
			pf_add_factor(x, out, &in.set);
		}
	}
}

static void pf_atom(pf_parser_t *x, pf_node_t *out)
{
	out->exact = 0;
	out->nfac = 0;
	switch (*x->p) {
	case '(': pf_group(x, out); return;
	case '[': pf_class(x, out); return;
	case '\\': pf_escape(x, out); return;
	case '.': x->p++; return; /* anything */
	case '^':
	case '$':
		x->p++;
		pf_set_exact(out, &pf_empty);
		return;
	case '*':
	case '+':
	case '?':
	case '{':
	case '|':
	case ')': x->bad = 1; return;
	default: {
		size_t n = pf_u8len(x);
		pf_single(x, out, x->p, (uint32_t)n);
		x->p += n;
		return;
	}
	}
}

/* {m}, {m,} or {m,n}; 0 if the brace does not open a quantifier. */
static int pf_braces(pf_parser_t *x, unsigned long *m, unsigned long *n)
{
	const char *p = x->p + 1;
	char *e;

	if (p >= x->end || *p < '0' || *p > '9') {
		return 0;
	}
	*m = strtoul(p, &e, 10);
	p = e;
	if (p < x->end && *p == '}') {
		*n = *m;
	} else if (p < x->end && *p == ',') {
		p++;
		if (p < x->end && *p == '}') {
			*n = ULONG_MAX;
		} else if (p < x->end && *p >= '0' && *p <= '9') {
			*n = strtoul(p, &e, 10);
			p = e;
			if (p >= x->end || *p != '}') {
				return 0;
			}
		} else {
			return 0;
		}
	} else {
		return 0;
	}
	x->p = p + 1;
	return 1;
}

static void pf_item(pf_parser_t *x, pf_node_t *out)
{
	unsigned long m, n;
	pf_set_t s;

	pf_atom(x, out);
	if (x->bad || x->p >= x->end) {
		return;
	}
	switch (*x->p) {
	case '?': m = 0, n = 1, x->p++; break;
	case '*': m = 0, n = ULONG_MAX, x->p++; break;
	case '+': m = 1, n = ULONG_MAX, x->p++; break;
	case '{':
		if (!pf_braces(x, &m, &n)) {
			x->bad = 1; /* a literal brace: not analysed */
			return;
		}
		break;
	default: return;
	}
	if (x->p < x->end && (*x->p == '?' || *x->p == '+')) {
		x->p++; /* lazy or possessive: the same strings */
	}
	if (m == 0) {
		out->nfac = 0; /* the item may match nothing */
		if (out->exact && n == 1 && pf_union(x, &out->set, &pf_empty, PF_SET_MAX, &s)) {
			out->set = s;
		} else {
			out->exact = 0;
		}
		return;
	}
	if (out->exact) {
		pf_add_factor(x, out, &out->set);
		out->exact = m == 1 && n == 1;
	}
}

static void pf_seq(pf_parser_t *x, pf_node_t *out)
{
	pf_node_t it;
	pf_set_t run = pf_empty, prod;
	unsigned k;
	int exact = 1;

	out->nfac = 0;
	while (!x->bad && x->p < x->end && *x->p != '|' && *x->p != ')') {
		pf_item(x, &it);
		if (x->bad) {
			return;
		}
		for (k = 0; k < it.nfac; k++) {
			pf_add_factor(x, out, &it.fac[k]);
		}
		if (!it.exact) {
			pf_add_factor(x, out, &run);
			run = pf_empty;
			exact = 0;
		} else if (pf_product(x, &run, &it.set, &prod)) {
			run = prod;
		} else {
			pf_add_factor(x, out, &run);
			run = it.set;
			exact = 0;
		}
	}
	out->exact = exact;
	out->set = run;
	if (!exact) {
		pf_add_factor(x, out, &run);
	}
}

/* @p node's candidate factors, its exact set included, most selective
 * first; returns their number. */
static unsigned pf_candidates(pf_parser_t *x, const pf_node_t *node, pf_set_t *cand)
{
	unsigned i, j, n = 0;

	if (node->exact && pf_cost(&node->set) != UINT32_MAX) {
		cand[n] = node->set;
		if (!pf_minimise(x, &cand[n])) {
			return 0;
		}
		n++;
	}
	for (i = 0; i < node->nfac; i++) {
		cand[n++] = node->fac[i];
	}
	for (i = 1; i < n; i++) { /* insertion sort by cost */
		pf_set_t c = cand[i];
		for (j = i; j > 0 && pf_cost(&cand[j - 1]) > pf_cost(&c); j--) {
			cand[j] = cand[j - 1];
		}
		cand[j] = c;
	}
	return n;
}

/*
 * Factors of an alternation of @p n branches: a union of one factor of each
 * branch. Tried: the unions of the branches' most selective factors, of
 * their second most selective (or the last they have), and so on, and the
 * union of each branch's factor with the fewest strings (the others may be
 * too large together).
 */
static void pf_branch_factors(pf_parser_t *x, const pf_node_t *br, unsigned n, pf_node_t *out)
{
	pf_set_t(*cand)[PF_NODE_FACTORS + 1] = pf_alloc(x, n * sizeof(*cand));
	unsigned *ncand = pf_alloc(x, n * sizeof(*ncand));
	unsigned i, rank, most;

	if (!cand || !ncand) {
		return;
	}
	for (i = 0, most = 0; i < n; i++) {
		if (!(ncand[i] = pf_candidates(x, &br[i], cand[i]))) {
			return; /* a branch that requires nothing */
		}
		most = ncand[i] > most ? ncand[i] : most;
	}
	for (rank = 0; rank <= PF_NODE_FACTORS + 1; rank++) {
		if (rank >= most && rank <= PF_NODE_FACTORS) {
			continue; /* the same as the last rank */
		}
		pf_set_t any = {NULL, 0};
		for (i = 0; i < n; i++) {
			const pf_set_t *b;
			if (rank <= PF_NODE_FACTORS) {
				b = &cand[i][rank < ncand[i] ? rank : ncand[i] - 1];
			} else {
				unsigned k, f = 0;
				for (k = 1; k < ncand[i]; k++) {
					f = cand[i][k].n < cand[i][f].n ? k : f;
				}
				b = &cand[i][f];
			}
			/* minimised (by pf_add_factor()) at the end, or now if it grows too large */
			if (!pf_union(x, &any, b, PF_FACTOR_MAX, &any) &&
			    (!pf_minimise(x, &any) || !pf_union(x, &any, b, PF_FACTOR_MAX, &any))) {
				break;
			}
		}
		if (i == n) {
			pf_add_factor(x, out, &any);
		}
	}
}

static void pf_alt(pf_parser_t *x, pf_node_t *out)
{
	pf_node_t *br;
	unsigned n = 1, cap = 8;
	int exact;

	pf_seq(x, out);
	if (x->bad || x->p >= x->end || *x->p != '|') {
		return;
	}
	if (!(br = pf_alloc(x, cap * sizeof(*br)))) {
		return;
	}
	br[0] = *out;
	exact = out->exact;
	while (!x->bad && x->p < x->end && *x->p == '|') {
		x->p++;
		if (n == cap) {
			pf_node_t *more = pf_alloc(x, 2 * cap * sizeof(*br));
			if (!more) {
				return;
			}
			memcpy(more, br, n * sizeof(*br));
			br = more;
			cap *= 2;
		}
		pf_seq(x, &br[n]);
		if (x->bad) {
			return;
		}
		exact = exact && br[n].exact && pf_union(x, &out->set, &br[n].set, PF_SET_MAX, &out->set);
		n++;
	}
	out->exact = exact;
	out->nfac = 0;
	pf_branch_factors(x, br, n, out);
}

static int pf_cost_cmp(const void *a, const void *b)
{
	uint32_t x = pf_cost(a), y = pf_cost(b);
	return x < y ? -1 : x > y;
}

/*
 * Analyse @p pattern. Fills @p fac with up to PF_RULE_FACTORS factors, most
 * selective first, and returns their number: 0 when nothing is required or
 * the pattern is beyond the analysis. The strings live in @p arena.
 */
static unsigned pf_analyse(const char *pattern, pf_arena_t *arena, pf_set_t *fac)
{
	pf_parser_t x = {pattern, pattern + strlen(pattern), arena, 0, 0};
	pf_node_t top;
	unsigned n;

	pf_alt(&x, &top);
	if (x.bad || x.p != x.end) {
		return 0;
	}
	if (top.exact) {
		pf_add_factor(&x, &top, &top.set);
	}
	qsort(top.fac, top.nfac, sizeof(top.fac[0]), pf_cost_cmp);
	n = top.nfac < PF_RULE_FACTORS ? top.nfac : PF_RULE_FACTORS;
	memcpy(fac, top.fac, n * sizeof(*fac));
	return n;
}

static int pf_grow(void **p, size_t *cap, size_t need, size_t size)
{
	size_t c = *cap ? *cap : 64;
	void *q;

	if (need <= *cap) {
		return 1;
	}
	while (c < need) {
		c *= 2;
	}
	if (!(q = realloc(*p, c * size))) {
		return 0;
	}
	*p = q;
	*cap = c;
	return 1;
}

static void pf_free(fs_rules_t *rules)
{
	free(rules->lit);
	free(rules->lit_off);
	free(rules->lit_anchor);
	free(rules->lit_hash);
	free(rules->fac_lits);
	free(rules->fac_end);
	free(rules->lit_fac);
	free(rules->lit_fac_off);
	free(rules->anc_off);
	free(rules->anc);
	memset(&rules->pf, 0, sizeof(rules->pf));
	rules->lit = NULL;
	rules->lit_off = rules->lit_anchor = rules->lit_hash = rules->fac_lits = rules->fac_end = NULL;
	rules->lit_fac = rules->lit_fac_off = rules->anc_off = NULL;
	rules->anc = NULL;
	rules->nlit = rules->nfac = 0;
}

/* Id of literal @p p, added if new; -1 when out of memory. */
static int64_t pf_intern(fs_rules_t *rules, const char *p, uint32_t len)
{
	uint64_t h = fs_hash_update(FS_HASH_INIT, p, len);
	size_t mask, i;

	if (((size_t)rules->nlit + 1) * 2 > rules->pf.hash_size) {
		size_t size = rules->pf.hash_size ? rules->pf.hash_size * 2 : 256, k;
		uint32_t *t = malloc(size * sizeof(*t));
		if (!t) {
			return -1;
		}
		memset(t, 0xFF, size * sizeof(*t));
		for (k = 0; k < rules->nlit; k++) {
			const char *q = rules->lit + rules->lit_off[k];
			uint64_t hk = fs_hash_update(FS_HASH_INIT, q, rules->lit_off[k + 1] - rules->lit_off[k]);
			for (i = hk & (size - 1); t[i] != UINT32_MAX; i = (i + 1) & (size - 1)) {
			}
			t[i] = (uint32_t)k;
		}
		free(rules->lit_hash);
		rules->lit_hash = t;
		rules->pf.hash_size = size;
	}
	mask = rules->pf.hash_size - 1;
	for (i = h & mask; rules->lit_hash[i] != UINT32_MAX; i = (i + 1) & mask) {
		uint32_t k = rules->lit_hash[i];
		if (rules->lit_off[k + 1] - rules->lit_off[k] == len &&
		    !memcmp(rules->lit + rules->lit_off[k], p, len)) {
			return k;
		}
	}
	if (!pf_grow((void **)&rules->lit, &rules->pf.lit_cap, rules->pf.lit_size + len, 1) ||
	    !pf_grow((void **)&rules->lit_off, &rules->pf.lit_off_cap, (size_t)rules->nlit + 2, sizeof(uint32_t))) {
		return -1;
	}
	rules->lit_off[0] = 0;
	memcpy(rules->lit + rules->pf.lit_size, p, len);
	rules->pf.lit_size += len;
	rules->lit_off[rules->nlit + 1] = (uint32_t)rules->pf.lit_size;
	rules->lit_hash[i] = rules->nlit;
	return rules->nlit++;
}

static inline uint32_t pf_bucket(uint32_t tri)
{
	return (tri * 0x9E3779B1u) >> (32 - PF_ANCHOR_BITS);
}

/* Up to 8 bytes at @p as a little-endian word, the first in the low byte. */
static inline uint64_t pf_word(const char *p, size_t n)
{
	const unsigned char *u = (const unsigned char *)p;
	uint64_t w = 0;

	while (n--) {
		w = w << 8 | u[n];
	}
	return w;
}

/* 8 bytes at @p as a little-endian word (the first in the low byte). */
static inline uint64_t pf_load64(const char *p)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t w;
	memcpy(&w, p, 8);
	return w;
#else
	return pf_word(p, 8);
#endif
}

static inline uint32_t pf_tri_at(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] << 16 | (uint32_t)u[1] << 8 | u[2];
}

/*
 * Anchors. Each literal (at least PF_LIT_MIN = 3 bytes) is found by one of
 * its trigrams; the scan compares it in full wherever that trigram occurs.
 * The best anchor is a trigram that few other literals contain: literals
 * are written from the words of complaints, so a trigram common among them
 * ("wai" of waiting, waited, wait time) is common in the texts as well, and
 * a literal anchored on it would be compared in most of them, along with
 * every other literal anchored there. So the trigrams of all literals are
 * counted (once per literal, in a hash table of PF_ANCHOR_BUCKETS counters;
 * a collision only makes a trigram look more common), and each literal is
 * anchored on its least counted one, the first of equals.
 */
static void pf_anchors(fs_rules_t *rules, uint32_t *count)
{
	unsigned l;
	uint32_t k, j;

	for (l = 0; l < rules->nlit; l++) {
		const char *p = rules->lit + rules->lit_off[l];
		uint32_t len = rules->lit_off[l + 1] - rules->lit_off[l];
		for (k = 0; k + 3 <= len; k++) {
			uint32_t b = pf_bucket(pf_tri_at(p + k));
			for (j = 0; j < k && pf_bucket(pf_tri_at(p + j)) != b; j++) {
			}
			if (j == k) {
				count[b]++; /* first time in this literal */
			}
		}
	}
	for (l = 0; l < rules->nlit; l++) {
		const char *p = rules->lit + rules->lit_off[l];
		uint32_t len = rules->lit_off[l + 1] - rules->lit_off[l], best = 0;
		for (k = 1; k + 3 <= len; k++) {
			if (count[pf_bucket(pf_tri_at(p + k))] < count[pf_bucket(pf_tri_at(p + best))]) {
				best = k;
			}
		}
		rules->lit_anchor[l] = best;
	}
}

/* Analyse every rule's pattern and lay the factors out for the scan. */
static fs_err_t pf_build(fs_rules_t *rules)
{
	uint32_t *pair = NULL; /* literal id, factor id, ... */
	size_t npair = 0, pair_cap = 0, cap, k;
	unsigned i, f, n;
	fs_err_t err = FS_ERR_NOMEM;

	pf_free(rules);
	for (i = 0; i < rules->n; i++) {
		rule_impl_t *r = &rules->rules[i];
		pf_set_t fac[PF_RULE_FACTORS];
		pf_arena_t arena = {NULL, 0};

		r->pf_first = rules->nfac;
		r->pf_n = 0;
		if (!r->code || !r->pattern) {
			continue;
		}
		n = pf_analyse(r->pattern, &arena, fac);
		for (f = 0; f < n; f++) {
			for (k = 0; k < fac[f].n; k++) {
				int64_t id = pf_intern(rules, fac[f].v[k].p, fac[f].v[k].len);
				if (id < 0 ||
				    !pf_grow((void **)&rules->fac_lits, &rules->pf.fac_lits_cap,
					     rules->pf.nfac_lits + 1, sizeof(uint32_t)) ||
				    !pf_grow((void **)&pair, &pair_cap, npair + 2, sizeof(uint32_t))) {
					pf_arena_free(&arena);
					goto fail;
				}
				rules->fac_lits[rules->pf.nfac_lits++] = (uint32_t)id;
				pair[npair++] = (uint32_t)id;
				pair[npair++] = rules->nfac;
			}
			if (!pf_grow((void **)&rules->fac_end, &rules->pf.fac_end_cap, (size_t)rules->nfac + 1,
				     sizeof(uint32_t))) {
				pf_arena_free(&arena);
				goto fail;
			}
			rules->fac_end[rules->nfac++] = (uint32_t)rules->pf.nfac_lits;
		}
		r->pf_n = n;
		pf_arena_free(&arena);
	}
	free(rules->lit_hash);
	rules->lit_hash = NULL;
	rules->pf.hash_size = 0;
	/* literal -> factors, anchors, and anchor bucket -> literals */
	cap = (size_t)rules->nlit + 1;
	rules->lit_fac_off = calloc(cap, sizeof(uint32_t));
	rules->lit_fac = malloc((npair / 2 + 1) * sizeof(uint32_t));
	rules->lit_anchor = malloc(cap * sizeof(uint32_t));
	rules->anc_off = calloc(PF_ANCHOR_BUCKETS + 1, sizeof(uint32_t));
	rules->anc = malloc(cap * sizeof(*rules->anc));
	if (!rules->lit_fac_off || !rules->lit_fac || !rules->lit_anchor || !rules->anc_off || !rules->anc) {
		goto fail;
	}
	/* counting sorts: count into [i], sum up to where each group ends,
	 * then fill backwards, which leaves [i] at the group's start */
	for (k = 0; k < npair; k += 2) {
		rules->lit_fac_off[pair[k]]++;
	}
	for (k = 1; k <= rules->nlit; k++) {
		rules->lit_fac_off[k] += rules->lit_fac_off[k - 1];
	}
	for (k = npair; k > 0; k -= 2) { /* backwards, so each literal's factors stay in order */
		rules->lit_fac[--rules->lit_fac_off[pair[k - 2]]] = pair[k - 1];
	}
	pf_anchors(rules, rules->anc_off); /* anc_off as scratch counters */
	memset(rules->anc_off, 0, (PF_ANCHOR_BUCKETS + 1) * sizeof(uint32_t));
	for (k = 0; k < rules->nlit; k++) {
		uint32_t b = pf_bucket(pf_tri_at(rules->lit + rules->lit_off[k] + rules->lit_anchor[k]));
		rules->anc_off[b]++;
		rules->pf.anc_any[b >> 6] |= 1ULL << (b & 63);
	}
	for (k = 0; k < PF_ANCHOR_BUCKETS; k++) {
		rules->anc_off[k + 1] += rules->anc_off[k];
	}
	for (k = rules->nlit; k > 0; k--) {
		const char *p = rules->lit + rules->lit_off[k - 1];
		uint32_t len = rules->lit_off[k] - rules->lit_off[k - 1];
		struct pf_anc *a = &rules->anc[--rules->anc_off[pf_bucket(pf_tri_at(p + rules->lit_anchor[k - 1]))]];
		a->lit = (uint32_t)(k - 1);
		a->off = (uint16_t)rules->lit_anchor[k - 1];
		a->len = (uint16_t)len;
		a->word = pf_word(p, len < 8 ? len : 8);
		a->mask = len < 8 ? (1ULL << (8 * len)) - 1 : ~0ULL;
	}
	err = FS_OK;
fail:
	free(pair);
	return err;
}

size_t fs_rules_required(const fs_rules_t *rules, unsigned id, char *buf, size_t size)
{
	const rule_impl_t *r = &rules->rules[id];
	fs_buf_t b = FS_BUF_INIT;
	unsigned f, k;
	size_t len;

	for (f = r->pf_first; f < r->pf_first + r->pf_n; f++) {
		unsigned first = f ? rules->fac_end[f - 1] : 0;
		fs_buf_puts(&b, f > r->pf_first ? " (" : "(");
		for (k = first; k < rules->fac_end[f]; k++) {
			uint32_t l = rules->fac_lits[k];
			if (k > first) {
				fs_buf_puts(&b, " | ");
			}
			fs_buf_json_str(&b, rules->lit + rules->lit_off[l], rules->lit_off[l + 1] - rules->lit_off[l]);
		}
		fs_buf_putc(&b, ')');
	}
	len = b.len;
	if (size) {
		size_t n = len < size ? len : size - 1;
		if (n) {
			memcpy(buf, b.p, n);
		}
		buf[n] = '\0';
	}
	fs_buf_free(&b);
	return len;
}

void fs_rules_set_subject(const fs_rules_t *rules, fs_rules_scratch_t *scr, const char *subject, size_t len)
{
	(void)rules;
	scr->subject = subject;
	scr->subject_len = len;
	scr->scanned = 0; /* by the first fs_rules_may_match() */
}

/*
 * One pass over the subject finds every literal of every rule: at each
 * position the trigram's bucket lists the literals anchored on a trigram of
 * that hash; those anchored on this very trigram are compared in full, and
 * a literal found marks the factors it belongs to. Linear in the text, and
 * the same cost however many rules then ask.
 */
static void pf_scan(const fs_rules_t *rules, fs_rules_scratch_t *scr)
{
	const char *s = scr->subject;
	size_t len = scr->subject_len, i;
	uint32_t tri;

	memset(scr->lit_found, 0, ((scr->nlit + 63) / 64) * sizeof(uint64_t));
	memset(scr->fac_found, 0, ((scr->nfac + 63) / 64) * sizeof(uint64_t));
	scr->scanned = 1;
	if (len < 3) {
		return;
	}
	tri = (uint32_t)(unsigned char)s[0] << 8 | (unsigned char)s[1];
	for (i = 0; i + 3 <= len; i++) {
		uint32_t b, e;
		tri = (tri << 8 | (unsigned char)s[i + 2]) & 0xFFFFFF;
		b = pf_bucket(tri);
		if (!((rules->pf.anc_any[b >> 6] >> (b & 63)) & 1)) {
			continue;
		}
		for (e = rules->anc_off[b]; e < rules->anc_off[b + 1]; e++) {
			const struct pf_anc *a = &rules->anc[e];
			size_t at = i - a->off;
			uint32_t l, k;
			if (i < a->off) {
				continue;
			}
			if (at + 8 <= len) {
				if ((pf_load64(s + at) & a->mask) != a->word) {
					continue; /* the common case: another trigram, or the same in another word */
				}
			} else if (at + a->len > len ||
				   memcmp(s + at, rules->lit + rules->lit_off[a->lit], a->len) != 0) {
				continue;
			}
			l = a->lit;
			if (((scr->lit_found[l >> 6] >> (l & 63)) & 1) ||
			    (a->len > 8 && at + 8 <= len &&
			     (at + a->len > len ||
			      memcmp(s + at + 8, rules->lit + rules->lit_off[l] + 8, a->len - 8U)))) {
				continue;
			}
			scr->lit_found[l >> 6] |= 1ULL << (l & 63);
			for (k = rules->lit_fac_off[l]; k < rules->lit_fac_off[l + 1]; k++) {
				uint32_t f = rules->lit_fac[k];
				scr->fac_found[f >> 6] |= 1ULL << (f & 63);
			}
		}
	}
}

int fs_rules_may_match(const fs_rules_t *rules, fs_rules_scratch_t *scr, unsigned id)
{
	const rule_impl_t *r = &rules->rules[id];
	unsigned f;

	if (!r->pf_n || !scr->subject || scr->nlit != rules->nlit || scr->nfac != rules->nfac) {
		return 1; /* no prefilter, no subject, or a scratch from before the last load */
	}
	if (!scr->scanned) {
		pf_scan(rules, scr);
	}
	for (f = r->pf_first; f < r->pf_first + r->pf_n; f++) {
		if (!((scr->fac_found[f >> 6] >> (f & 63)) & 1)) {
			return 0; /* no string of this factor in the subject */
		}
	}
	return 1;
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
	scr->nlit = rules->nlit;
	scr->nfac = rules->nfac;
	scr->lit_found = malloc(((rules->nlit + 63) / 64 + 1) * sizeof(uint64_t));
	scr->fac_found = malloc(((rules->nfac + 63) / 64 + 1) * sizeof(uint64_t));
	if (!scr->md || !scr->mctx || !scr->lit_found || !scr->fac_found) {
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
	free(scr->lit_found);
	free(scr->fac_found);
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
	/* pcre2_match() would call the JIT code too, after checks that were
	 * made once at load time (JIT compiled, valid options) */
	if (r->jit) {
		rc = pcre2_jit_match(r->code, (PCRE2_SPTR)subject, len, start, PCRE2_NO_UTF_CHECK, scr->md, scr->mctx);
	} else {
		rc = pcre2_match(r->code, (PCRE2_SPTR)subject, len, start, PCRE2_NO_UTF_CHECK, scr->md, scr->mctx);
	}
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
