/*
 * score: engine loading and the scoring algorithm.
 *
 * Scoring one text runs in stages over the token array of fs_text:
 *
 *  1. Lookup. Every token is looked up once in the lexicon table (with
 *     fallbacks for elongations and possessives). Entries carry triggers:
 *     category ids and the ids of regex rules that need this word.
 *  2. Rules. Only triggered rules (and the few without trigger words) run,
 *     over the normalised text, each under PCRE2 limits, and only when the
 *     text holds the literals their patterns require (fs_rules_may_match()). A rule with a
 *     valence becomes one explanation item and "covers" its tokens, so the
 *     lexicon does not count the same words again.
 *  3. Terms. Left to right, the longest lexicon entry wins at each position
 *     (idioms and phrases beat their words). Entries are sentiment terms,
 *     modifiers (negators, boosters, contrast words ...) or both.
 *  4. Structure. Sentences end at . ! ? and newlines; clauses also at
 *     , ; : and at contrast words. Contrast ("but", "however") gives what
 *     precedes it (back to the previous contrast) weight 0.5 and what follows
 *     (up to the next one) 1.5, for every contrast in the text, multiplying
 *     where ranges overlap. A concessive clause ("although ...") weighs 0.5
 *     and the rest of its sentence 1.5. A hypothetical clause ("if ...")
 *     weighs 0.3. A question opened by an interrogative (after any openers,
 *     "hi, can I ...", or a condition, "if it breaks, can I ...") and
 *     closed by a single "?" is damped to 0.1 for
 *     lexicon terms: asking how to get a refund is not a complaint, while
 *     rule hits (written for complaints) keep their weight.
 *  5. Local modifiers. Within its clause, a term is raised by boosters in
 *     the three tokens before it (decaying 1, 0.95, 0.9), by capitals in a
 *     mixed-case text and by elongation; negators in the four tokens before
 *     it flip it: positive terms by -0.75, negative ones by -0.5 ("not bad"
 *     is mildly positive, "not good" clearly negative). Two negators cancel.
 *  6. Emphasis. "!" (up to 4) and "??" add to a sentence in the direction
 *     of the sentence's own sum.
 *  7. Politeness. "please", "thanks" and the like count only when the rest
 *     of the text is positive, or neutral without a question or a request:
 *     courtesy in an angry ticket must not pull it towards neutral, nor
 *     make a request praise.
 *     A balanced verdict of the writer's own ("mixed bag", "swings and
 *     roundabouts", "call it even") damps every contribution to 0.05: the
 *     parts it weighs against each other do not make the message a
 *     complaint or praise.
 *     Praise inside a short quotation ("the 'premium' seat") weighs 0.25:
 *     it is someone else's claim, often quoted to be belied.
 *     An irony mark of the writer's (🙃, 🙄, 😒) turns every positive
 *     word and phrase of the text over ("Love it 🙃" after a price rise):
 *     rules and emoji keep their sign.
 *  8. Totals. The sum is divided by sqrt(sentences / 3) for texts of more
 *     than three sentences (so a long review is not saturated by its
 *     length), then squashed: compound = s / sqrt(s^2 + 15).
 *  9. Categories. Each category's sentiment is the squashed sum of the
 *     local scores in the clauses that mention it, or in its sentences when
 *     those clauses carry no sentiment.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedsense/buf.h"
#include "feedsense/score.h"
#include "feedsense/text.h"

#define ALPHA               15.0
#define NEG_POS_SCALAR      (-0.75f)
#define NEG_NEG_SCALAR      (-0.5f)
#define CAPS_INCR           0.733f
#define ELONG_INCR          0.3f
#define EXCL_INCR           0.292f
#define QM_INCR             0.18f
#define CONTRAST_BEFORE     0.5f
#define CONTRAST_AFTER      1.5f
#define CONCESSION_IN       0.5f
#define CONCESSION_OUT      1.5f
#define HYPOTHETICAL_W      0.3f
#define CONCESSION_REACH    40
#define QUESTION_W          0.1f
#define VERDICT_W           0.05f
#define QUOTED_W            0.25f
#define BOOST_WINDOW        3
#define NEG_WINDOW          4
#define LONG_TEXT_SENTENCES 3.0

const char *const fs_xm_names[] = {
    "negated",    "boosted",  "dampened",       "caps",         "elongated",       "before_contrast", "after_contrast",
    "concession", "question", "polite_ignored", "hypothetical", "double_negation", "verdict",         "irony",
    "quoted",     NULL,
};

struct fs_engine {
	fs_lexicon_t *lex;
	fs_tags_t *tags;
	fs_rules_t *rules;
	char version[24];
	double pos_threshold, neg_threshold;
};

/* per-token working state */
typedef struct tinfo {
	const fs_lexent_t *ent;    /* single-token entry */
	const fs_lexent_t *best;   /* longest entry with a valence or modifier starting here */
	uint64_t h;                /* hash of the token's bytes */
	uint8_t blen;              /* its length in tokens */
	const fs_lexent_t *modent; /* modifier entry whose span covers this token */
	uint32_t modstart;         /* first token of that span */
	uint32_t sent, clause;
	float w;         /* clause weight */
	uint16_t wmods;  /* FS_XM_* explaining w */
	uint8_t covered; /* inside a valence rule match */
	uint8_t polite;  /* 1 gratitude ("thanks"), 2 request ("please") */
} tinfo_t;

typedef struct catacc {
	uint32_t toks[32]; /* tokens where the category was mentioned */
	uint32_t ntoks;
	fs_cat_result_t res;
} catacc_t;

struct fs_scratch {
	fs_text_t text;
	fs_rules_scratch_t *rscr;
	tinfo_t *ti;
	size_t ti_cap;
	fs_explain_t *items;
	size_t nitems, items_cap;
	uint64_t *rulebits; /* triggered rules */
	size_t rulewords;
	uint32_t *rulelist; /* the same, as ids in ascending order */
	uint64_t catmask;
	catacc_t cats[FS_TAG_MAX];
	fs_cat_result_t catres[FS_TAG_MAX];
	float *sentsum;
	uint32_t *sentend; /* token index of each sentence's final PUNCT, or UINT32_MAX */
	size_t sent_cap;
	fs_result_t result;
	const fs_engine_t *engine;
};

const char *fs_label_name(fs_label_t label)
{
	switch (label) {
	case FS_LABEL_NEGATIVE: return "negative";
	case FS_LABEL_POSITIVE: return "positive";
	default: return "neutral";
	}
}

void fs_engine_opts_init(fs_engine_opts_t *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->pos_threshold = 0.05;
	opts->neg_threshold = -0.05;
	opts->match_limit = 200000;
	opts->depth_limit = 5000;
}

const char *fs_engine_version(const fs_engine_t *engine)
{
	return engine->version;
}

const fs_lexicon_t *fs_engine_lexicon(const fs_engine_t *engine)
{
	return engine->lex;
}

const fs_tags_t *fs_engine_tags(const fs_engine_t *engine)
{
	return engine->tags;
}

const fs_rules_t *fs_engine_rules(const fs_engine_t *engine)
{
	return engine->rules;
}

fs_label_t fs_engine_label(const fs_engine_t *engine, double compound)
{
	if (compound >= engine->pos_threshold) {
		return FS_LABEL_POSITIVE;
	}
	if (compound <= engine->neg_threshold) {
		return FS_LABEL_NEGATIVE;
	}
	return FS_LABEL_NEUTRAL;
}

/* Why an example of rule @p id fails (NULL: it passes): scored as a whole
 * message, an `example` must fire the rule with its declared action (valence
 * counted and not negated, categories tagged, flags raised); a `counter`
 * must not fire it. */
static const char *example_fails(const fs_engine_t *engine, const fs_result_t *res, unsigned id,
				 const fs_rule_example_t *ex)
{
	const fs_rule_t *rule = fs_rules_get(engine->rules, id);
	size_t nlen = strlen(rule->name), i;
	int hit = 0;

	for (i = 0; i < res->nrules_hit; i++) {
		hit |= res->rules_hit[i] == id;
	}
	if (ex->counter) {
		return hit ? "counter-example fires the rule" : NULL;
	}
	if (!hit) {
		return "example does not fire the rule";
	}
	if (rule->has_valence && rule->valence != 0) {
		const fs_explain_t *x = NULL;
		for (i = 0; i < res->nexplain && !x; i++) {
			if (res->explain[i].kind == FS_X_RULE && res->explain[i].what_len == nlen &&
			    !memcmp(res->explain[i].what, rule->name, nlen)) {
				x = &res->explain[i];
			}
		}
		if (!x) {
			return "example fires the rule but another item takes its words: its valence is not counted";
		}
		if (x->valence != rule->valence || (x->local < 0) != (rule->valence < 0)) {
			return "example fires the rule but its valence is negated or changed";
		}
	}
	for (i = 0; i < 64; i++) {
		size_t k;
		int tagged = 0;
		if (!((rule->cats >> i) & 1)) {
			continue;
		}
		for (k = 0; k < res->ncats; k++) {
			tagged |= res->cats[k].id == i;
		}
		if (!tagged) {
			return "example fires the rule but its category is not tagged";
		}
	}
	if ((res->flags & rule->flags) != rule->flags) {
		return "example fires the rule but its flag is not raised";
	}
	return NULL;
}

fs_err_t fs_engine_check_examples(const fs_engine_t *engine, const char *rules_name, int require, fs_diag_t *diag)
{
	fs_scratch_t *scr = fs_scratch_new(engine);
	unsigned id, n = fs_rules_count(engine->rules), k, nex;

	if (!scr) {
		return FS_ERR_NOMEM;
	}
	for (id = 0; id < n; id++) {
		const fs_rule_example_t *ex = fs_rules_examples(engine->rules, id, &nex);
		const fs_rule_t *rule = fs_rules_get(engine->rules, id);
		unsigned positive = 0;
		for (k = 0; k < nex; k++) {
			const fs_result_t *res;
			const char *why;
			size_t errpos;
			fs_err_t err;
			positive += !ex[k].counter;
			err = fs_score(engine, scr, ex[k].text, strlen(ex[k].text), &res, &errpos);
			if (err == FS_ERR_UTF8) {
				fs_diag_report(diag, 1, "%s:%u: rule %s: the %s is not valid UTF-8 (byte %zu)",
					       rules_name, ex[k].line, rule->name,
					       ex[k].counter ? "counter-example" : "example", errpos + 1);
			} else if (err != FS_OK) {
				fs_scratch_destroy(scr);
				return err; /* out of memory: the examples could not all be checked */
			} else if ((why = example_fails(engine, res, id, &ex[k])) != NULL) {
				fs_diag_report(diag, 1, "%s:%u: rule %s: %s", rules_name, ex[k].line, rule->name, why);
			}
		}
		if (!positive) {
			fs_diag_report(diag, require, "%s:%u: rule %s has no example", rules_name, rule->line,
				       rule->name);
		}
	}
	fs_scratch_destroy(scr);
	return FS_OK;
}

void fs_engine_destroy(fs_engine_t *engine)
{
	if (!engine) {
		return;
	}
	fs_lexicon_destroy(engine->lex);
	fs_tags_destroy(engine->tags);
	fs_rules_destroy(engine->rules);
	free(engine);
}

/* Read dir/file, fold it into the version hash. */
static fs_err_t read_part(fs_buf_t *buf, char *path, size_t pathsz, const char *dir, const char *file, uint64_t *hash,
			  char *errstr, size_t errstr_size)
{
	fs_err_t err;

	if (dir) {
		snprintf(path, pathsz, "%s/%s", dir, file);
	} else {
		snprintf(path, pathsz, "%s", file);
	}
	if ((err = fs_buf_read_file(buf, path, errstr, errstr_size)) != FS_OK) {
		return err;
	}
	*hash = fs_hash_update(*hash, file, strlen(file) + 1);
	*hash = fs_hash_update(*hash, buf->p, buf->len);
	return FS_OK;
}

fs_err_t fs_engine_new(const fs_engine_opts_t *opts, fs_engine_t **enginep, char *errstr, size_t errstr_size)
{
	static const char *lexfiles[] = FS_LEXICON_FILES;
	const char *dir = opts->lexicon_dir ? opts->lexicon_dir : FS_DEFAULT_LEXICON_DIR;
	fs_engine_t *engine;
	fs_buf_t buf = FS_BUF_INIT;
	char path[4096];
	uint64_t hash = FS_HASH_INIT;
	fs_err_t err = FS_ERR_NOMEM;
	size_t i;

	*enginep = NULL;
	engine = calloc(1, sizeof(*engine));
	if (!engine) {
		return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "out of memory");
	}
	engine->pos_threshold = opts->pos_threshold;
	engine->neg_threshold = opts->neg_threshold;
	engine->lex = fs_lexicon_new();
	engine->tags = fs_tags_new();
	engine->rules = fs_rules_new();
	if (!engine->lex || !engine->tags || !engine->rules) {
		fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "out of memory");
		goto fail;
	}
	fs_rules_set_limits(engine->rules, opts->match_limit, opts->depth_limit);
	for (i = 0; i < sizeof(lexfiles) / sizeof(lexfiles[0]); i++) {
		if ((err = read_part(&buf, path, sizeof(path), dir, lexfiles[i], &hash, errstr, errstr_size)) !=
			FS_OK ||
		    (err = fs_lexicon_load(engine->lex, path, buf.p, buf.len, FS_LEXFMT_NATIVE, opts->diag, errstr,
					   errstr_size)) != FS_OK) {
			goto fail;
		}
	}
	for (i = 0; i < opts->n_user_lexicons; i++) {
		const char *spec = opts->user_lexicons[i];
		fs_lexfmt_t fmt = FS_LEXFMT_NATIVE;
		if (!strncmp(spec, "vader:", 6)) {
			fmt = FS_LEXFMT_VADER;
			spec += 6;
		} else if (!strncmp(spec, "afinn:", 6)) {
			fmt = FS_LEXFMT_AFINN;
			spec += 6;
		} else if (!strncmp(spec, "native:", 7)) {
			spec += 7;
		}
		if ((err = read_part(&buf, path, sizeof(path), NULL, spec, &hash, errstr, errstr_size)) != FS_OK ||
		    (err = fs_lexicon_load(engine->lex, path, buf.p, buf.len, fmt, opts->diag, errstr, errstr_size)) !=
			FS_OK) {
			goto fail;
		}
	}
	if ((err = read_part(&buf, path, sizeof(path), dir, FS_MODIFIERS_FILE, &hash, errstr, errstr_size)) != FS_OK ||
	    (err = fs_lexicon_load_modifiers(engine->lex, path, buf.p, buf.len, opts->diag, errstr, errstr_size)) !=
		FS_OK) {
		goto fail;
	}
	if ((err = read_part(&buf, path, sizeof(path), dir, FS_CATEGORIES_FILE, &hash, errstr, errstr_size)) != FS_OK ||
	    (err = fs_tags_load(engine->tags, engine->lex, path, buf.p, buf.len, opts->diag, errstr, errstr_size)) !=
		FS_OK) {
		goto fail;
	}
	if ((err = read_part(&buf, path, sizeof(path), dir, FS_RULES_FILE, &hash, errstr, errstr_size)) != FS_OK ||
	    (err = fs_rules_load(engine->rules, engine->lex, engine->tags, path, buf.p, buf.len, opts->diag, errstr,
				 errstr_size)) != FS_OK) {
		goto fail;
	}
	if ((err = fs_lexicon_freeze(engine->lex)) != FS_OK) {
		fs_seterr(errstr, errstr_size, err, "out of memory");
		goto fail;
	}
	snprintf(engine->version, sizeof(engine->version), "lx-%016llx", (unsigned long long)hash);
	fs_buf_free(&buf);
	*enginep = engine;
	return FS_OK;
fail:
	fs_buf_free(&buf);
	fs_engine_destroy(engine);
	return err;
}

fs_scratch_t *fs_scratch_new(const fs_engine_t *engine)
{
	fs_scratch_t *scr = calloc(1, sizeof(*scr));
	unsigned nrules = fs_rules_count(engine->rules);

	if (!scr) {
		return NULL;
	}
	scr->engine = engine;
	fs_text_init(&scr->text);
	scr->rscr = fs_rules_scratch_new(engine->rules);
	scr->rulewords = (nrules + 63) / 64 + 1;
	scr->rulebits = calloc(scr->rulewords, sizeof(uint64_t));
	scr->rulelist = malloc((nrules + 1) * sizeof(uint32_t));
	if (!scr->rscr || !scr->rulebits || !scr->rulelist) {
		fs_scratch_destroy(scr);
		return NULL;
	}
	return scr;
}

void fs_scratch_destroy(fs_scratch_t *scr)
{
	if (!scr) {
		return;
	}
	fs_text_free(&scr->text);
	fs_rules_scratch_destroy(scr->rscr);
	free(scr->ti);
	free(scr->items);
	free(scr->rulebits);
	free(scr->rulelist);
	free(scr->sentsum);
	free(scr->sentend);
	free(scr);
}

/* ------------------------------------------------------------------ */

/* Clause weights multiply where contrasts overlap; a text of a thousand
 * "but"s must not overflow them. */
#define W_MIN (1.0f / 64)
#define W_MAX 8.0f

static inline float clamp_w(float w)
{
	return w < W_MIN ? W_MIN : (w > W_MAX ? W_MAX : w);
}

static inline float signf(float v)
{
	return v > 0 ? 1.0f : (v < 0 ? -1.0f : 0.0f);
}

static fs_explain_t *new_item(fs_scratch_t *scr)
{
	if (scr->nitems == scr->items_cap) {
		size_t cap = scr->items_cap ? scr->items_cap * 2 : 32;
		fs_explain_t *p = realloc(scr->items, cap * sizeof(*p));
		if (!p) {
			return NULL;
		}
		scr->items = p;
		scr->items_cap = cap;
	}
	memset(&scr->items[scr->nitems], 0, sizeof(fs_explain_t));
	return &scr->items[scr->nitems++];
}

static void cat_hit(fs_scratch_t *scr, unsigned cat, uint32_t tok, const char *what, uint32_t what_len)
{
	catacc_t *c = &scr->cats[cat];
	unsigned k;

	if (!(scr->catmask & (1ULL << cat))) {
		scr->catmask |= 1ULL << cat;
		c->ntoks = 0;
		c->res.id = cat;
		c->res.nmatched = 0;
	}
	/* clause and sentence ids are known later: remember the token */
	if (c->ntoks < 32) {
		c->toks[c->ntoks++] = tok;
	}
	for (k = 0; k < c->res.nmatched; k++) {
		if (c->res.matched_len[k] == what_len && !memcmp(c->res.matched[k], what, what_len)) {
			return;
		}
	}
	if (c->res.nmatched < FS_CAT_MATCHED_MAX) {
		c->res.matched[c->res.nmatched] = what;
		c->res.matched_len[c->res.nmatched] = what_len;
		c->res.nmatched++;
	}
}

typedef struct trig_ctx {
	fs_scratch_t *scr;
	uint32_t tok;
} trig_ctx_t;

/* Wake up what entry @p e triggers; @p what names the match for the
 * explanation (NULL: the entry's key). */
static void apply_triggers_as(fs_scratch_t *scr, const fs_lexent_t *e, uint32_t tok, const char *what,
			      uint32_t what_len)
{
	const fs_lexicon_t *lex = scr->engine->lex;
	const uint32_t *trig = fs_lexicon_triggers(lex, e);
	unsigned k;

	if (!what) {
		what = fs_lexicon_key(lex, e);
		what_len = e->keylen;
	}
	for (k = 0; k < e->ntrig; k++) {
		uint32_t t = trig[k];
		if (t & FS_TRIG_CATEGORY) {
			cat_hit(scr, t & ~FS_TRIG_CATEGORY, tok, what, what_len);
		} else {
			scr->rulebits[t >> 6] |= 1ULL << (t & 63);
		}
	}
}

static void apply_triggers(fs_scratch_t *scr, const fs_lexent_t *e, uint32_t tok)
{
	apply_triggers_as(scr, e, tok, NULL, 0);
}

/* A prefix match ("subscri*") is explained by the word it matched. */
static void on_prefix(void *opaque, const fs_lexent_t *e)
{
	trig_ctx_t *c = opaque;
	const fs_token_t *tok = &c->scr->text.tok[c->tok];
	apply_triggers_as(c->scr, e, c->tok, fs_tok_ptr(&c->scr->text, tok), (uint32_t)fs_tok_len(tok));
}

/* Look a single word token up, with fallbacks. */
static const fs_lexent_t *lookup_word(fs_scratch_t *scr, const fs_token_t *tok, uint64_t hash)
{
	const fs_lexicon_t *lex = scr->engine->lex;
	const char *p = fs_tok_ptr(&scr->text, tok);
	size_t n = fs_tok_len(tok), i, m;
	const fs_lexent_t *e = fs_lexicon_get(lex, hash, p, n);
	char tmp[64];

	if (e || tok->kind != FS_TOK_WORD) {
		return e;
	}
	if ((tok->flags & FS_TOKF_ELONG) && n < sizeof(tmp)) {
		/* "soo" (from "sooooo") -> "so"; "goood" was cut to "good" already */
		for (i = 0, m = 0; i < n; i++) {
			if (m && tmp[m - 1] == p[i]) {
				continue;
			}
			tmp[m++] = p[i];
		}
		if (m != n && (e = fs_lexicon_get(lex, fs_hash_update(FS_HASH_INIT, tmp, m), tmp, m))) {
			return e;
		}
	}
	if (n > 2 && p[n - 2] == '\'' && p[n - 1] == 's') {
		return fs_lexicon_get(lex, fs_hash_update(FS_HASH_INIT, p, n - 2), p, n - 2);
	}
	return NULL;
}

static int is_negator_word(const fs_scratch_t *scr, const fs_token_t *tok)
{
	const char *p = fs_tok_ptr(&scr->text, tok);
	size_t n = fs_tok_len(tok);
	return tok->kind == FS_TOK_WORD && n > 3 && p[n - 3] == 'n' && p[n - 2] == '\'' && p[n - 1] == 't';
}

/* Compare a lexicon key with tokens [eq_first, eq_first + eq_n). */
typedef struct tokeq {
	const fs_text_t *t;
	size_t first, n;
} tokeq_t;

static int key_eq_tokens(void *opaque, const char *key, size_t len)
{
	const tokeq_t *q = opaque;
	size_t j, at = 0;

	for (j = q->first; j < q->first + q->n; j++) {
		const fs_token_t *tok = &q->t->tok[j];
		size_t n = fs_tok_len(tok);
		if (j > q->first) {
			if (at >= len || key[at] != ' ') {
				return 0;
			}
			at++;
		}
		if (at + n > len || memcmp(key + at, fs_tok_ptr(q->t, tok), n) != 0) {
			return 0;
		}
		at += n;
	}
	return at == len;
}

/*
 * Find the longest multi-word entry with a valence or modifier starting at
 * token @p i, at most @p maxk tokens long, extending the hash one token at a
 * time and stopping as soon as the phrase filter says no phrase goes on.
 * With @p trig, triggers of every phrase met on the way are applied.
 */
static const fs_lexent_t *longest_at(fs_scratch_t *scr, size_t i, size_t maxk, int trig, size_t *len)
{
	const fs_lexicon_t *lex = scr->engine->lex;
	const fs_text_t *t = &scr->text;
	const fs_lexent_t *best = NULL;
	uint64_t h = scr->ti[i].h;
	size_t k;

	for (k = 2; k <= maxk && i + k <= t->ntok; k++) {
		const fs_token_t *tok = &t->tok[i + k - 1];
		const fs_lexent_t *e;
		tokeq_t q = {t, i, k};
		if (tok->kind == FS_TOK_PUNCT) {
			break;
		}
		h = fs_hash_update(h, " ", 1);
		h = fs_hash_update(h, fs_tok_ptr(t, tok), fs_tok_len(tok));
		if (!fs_lexicon_phrase_maybe(lex, h)) {
			break;
		}
		e = fs_lexicon_get_hash(lex, h, key_eq_tokens, &q);
		if (!e) {
			continue;
		}
		if (trig && e->ntrig) {
			apply_triggers(scr, e, (uint32_t)i);
		}
		if (e->has_valence || e->mod) {
			best = e;
			*len = k;
		}
	}
	return best;
}

static fs_err_t grow_arrays(fs_scratch_t *scr, size_t ntok)
{
	if (ntok + 1 > scr->ti_cap) {
		size_t cap = scr->ti_cap ? scr->ti_cap : 64;
		tinfo_t *ti;
		float *ss;
		uint32_t *se;
		while (cap < ntok + 1) {
			cap *= 2;
		}
		ti = realloc(scr->ti, cap * sizeof(*ti));
		if (!ti) {
			return FS_ERR_NOMEM;
		}
		scr->ti = ti;
		ss = realloc(scr->sentsum, cap * sizeof(*ss));
		if (!ss) {
			return FS_ERR_NOMEM;
		}
		scr->sentsum = ss;
		se = realloc(scr->sentend, cap * sizeof(*se));
		if (!se) {
			return FS_ERR_NOMEM;
		}
		scr->sentend = se;
		scr->ti_cap = cap;
	}
	return FS_OK;
}

/* First token whose span ends after norm offset @p off. */
static size_t tok_at(const fs_text_t *t, size_t off)
{
	size_t lo = 0, hi = t->ntok;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (t->tok[mid].end <= off) {
			lo = mid + 1;
		} else {
			hi = mid;
		}
	}
	return lo;
}

/* Count negator spans in the window before token @p first (same clause). */
static int negators_before(const fs_scratch_t *scr, size_t first, const char **which, uint32_t *which_len)
{
	const fs_text_t *t = &scr->text;
	const tinfo_t *ti = scr->ti;
	size_t j, seen = 0;
	int count = 0;
	uint32_t last_span = UINT32_MAX;

	for (j = first; j > 0 && seen < NEG_WINDOW;) {
		j--;
		if (t->tok[j].kind == FS_TOK_PUNCT) {
			break;
		}
		if (ti[j].modent) {
			uint8_t mod = ti[j].modent->mod;
			if (mod == FS_MOD_CONTRAST || mod == FS_MOD_CONCESSIVE) {
				break;
			}
			if (mod == FS_MOD_NEGATOR && ti[j].modstart != last_span) {
				last_span = ti[j].modstart;
				if (!count && which) {
					*which = fs_lexicon_key(scr->engine->lex, ti[j].modent);
					*which_len = ti[j].modent->keylen;
				}
				count++;
			}
			if (mod == FS_MOD_IGNORE) {
				break;
			}
		} else if (is_negator_word(scr, &t->tok[j])) {
			if (!count && which) {
				*which = fs_tok_ptr(t, &t->tok[j]);
				*which_len = (uint32_t)fs_tok_len(&t->tok[j]);
			}
			count++;
		}
		seen++;
	}
	return count;
}

static void apply_local(fs_scratch_t *scr, fs_explain_t *it, int mixed_case)
{
	const fs_text_t *t = &scr->text;
	const tinfo_t *ti = scr->ti;
	float v = it->valence, s = signf(v);
	size_t j, k, seen = 0;
	uint32_t last_span = UINT32_MAX;
	int neg;
	static const float decay[BOOST_WINDOW] = {1.0f, 0.95f, 0.9f};

	if (s == 0) {
		it->local = 0;
		return;
	}
	if (it->kind == FS_X_EMOJI) {
		/* the writer's own face: "I don't like it 😡" is angry, "not bad at
		 * all 😊" pleased; words before it neither negate nor boost it */
		it->local = v;
		return;
	}
	/* emphasis of the term itself */
	for (k = it->tok; k < it->tok + it->ntok; k++) {
		if (mixed_case && (t->tok[k].flags & FS_TOKF_CAPS)) {
			v += s * CAPS_INCR;
			it->mods |= FS_XM_CAPS;
			break;
		}
	}
	for (k = it->tok; k < it->tok + it->ntok; k++) {
		if (t->tok[k].flags & FS_TOKF_ELONG) {
			v += s * ELONG_INCR;
			it->mods |= FS_XM_ELONG;
			break;
		}
	}
	/* boosters and dampeners before it, within the clause */
	for (j = it->tok; j > 0 && seen < BOOST_WINDOW;) {
		const fs_lexent_t *m;
		j--;
		if (t->tok[j].kind == FS_TOK_PUNCT) {
			break;
		}
		m = ti[j].modent;
		if (m && (m->mod == FS_MOD_CONTRAST || m->mod == FS_MOD_CONCESSIVE)) {
			break;
		}
		if (m && m->mod == FS_MOD_BOOSTER && ti[j].modstart != last_span) {
			float b = m->modval * decay[seen];
			last_span = ti[j].modstart;
			if (mixed_case && (t->tok[j].flags & FS_TOKF_CAPS)) {
				b += signf(b) * CAPS_INCR;
			}
			v += s * b;
			it->mods |= b >= 0 ? FS_XM_BOOSTED : FS_XM_DAMPENED;
		}
		seen++;
	}
	if (signf(v) != s) {
		v = 0; /* a dampener never flips a term */
	}
	neg = negators_before(scr, it->tok, NULL, NULL);
	if (neg % 2 == 1) {
		v *= v > 0 ? NEG_POS_SCALAR : NEG_NEG_SCALAR;
		it->mods |= FS_XM_NEGATED;
	} else if (neg >= 2) {
		it->mods |= FS_XM_NEGATION_CANCELLED;
	}
	it->local = v;
}

static double squash(double s)
{
	double c = s / sqrt(s * s + ALPHA);
	if (c < -1) {
		c = -1;
	} else if (c > 1) {
		c = 1;
	}
	return c;
}

fs_err_t fs_score(const fs_engine_t *engine, fs_scratch_t *scr, const char *text, size_t len,
		  const fs_result_t **resultp, size_t *errpos)
{
	const fs_lexicon_t *lex = engine->lex;
	const fs_rules_t *rules = engine->rules;
	fs_text_t *t = &scr->text;
	fs_result_t *res = &scr->result;
	tinfo_t *ti;
	size_t i, k, n, nsent, nclause, nrun;
	const uint32_t *always;
	unsigned nalways;
	fs_err_t err;
	int mixed_case, has_question = 0, has_request = 0, verdict = 0, irony = 0;
	double total, rest, pos_sum = 0, neg_sum = 0;
	unsigned neu_words = 0;
	uint64_t catmask;

	memset(res, 0, sizeof(*res));
	res->length_factor = 1;
	scr->nitems = 0;
	scr->catmask = 0;
	*resultp = res;
	if ((err = fs_text_process(t, text, len, errpos)) != FS_OK) {
		return err;
	}
	n = t->ntok;
	res->ntokens = (unsigned)n;
	if ((err = grow_arrays(scr, n)) != FS_OK) {
		return err;
	}
	ti = scr->ti;
	mixed_case = t->ncaps_words > 0 && t->nlower_words > 0;

	/* 1. lookups and triggers */
	for (i = 0; i < n; i++) {
		const fs_token_t *tok = &t->tok[i];
		memset(&ti[i], 0, sizeof(ti[i]));
		ti[i].w = 1.0f;
		if (tok->kind == FS_TOK_PUNCT) {
			continue;
		}
		ti[i].h = fs_hash_update(FS_HASH_INIT, fs_tok_ptr(t, tok), fs_tok_len(tok));
		ti[i].ent = lookup_word(scr, tok, ti[i].h);
		if (ti[i].ent && ti[i].ent->mod) {
			/* provisional, so negatable rules see single-word negators;
			 * stage 3 settles modifiers with phrases */
			ti[i].modent = ti[i].ent;
			ti[i].modstart = (uint32_t)i;
		}
		if (ti[i].ent && ti[i].ent->ntrig) {
			apply_triggers(scr, ti[i].ent, (uint32_t)i);
		}
		if (tok->kind == FS_TOK_WORD) {
			trig_ctx_t tc = {scr, (uint32_t)i};
			fs_lexicon_prefixes(lex, fs_tok_ptr(t, tok), fs_tok_len(tok), on_prefix, &tc);
		}
	}
	/* phrases: longest sentiment/modifier entry at each token, and the
	 * triggers of multi-word category terms */
	for (i = 0; i < n; i++) {
		const fs_lexent_t *e = ti[i].ent;
		size_t blen = 1;
		if (e && e->phrase_max > 1) {
			ti[i].best = longest_at(scr, i, e->phrase_max, 1, &blen);
		}
		if (!ti[i].best && e && (e->has_valence || e->mod)) {
			ti[i].best = e;
		}
		ti[i].blen = (uint8_t)blen;
	}

	/* 2. rules */
	always = fs_rules_always(rules, &nalways);
	for (k = 0; k < nalways; k++) {
		uint32_t r = always[k];
		scr->rulebits[r >> 6] |= 1ULL << (r & 63);
	}
	/* the triggered rules in id order (the order of rules.conf), and the
	 * bitmap cleared for the next text */
	nrun = 0;
	for (k = 0; k < scr->rulewords; k++) {
		uint64_t bits = scr->rulebits[k];
		scr->rulebits[k] = 0;
		while (bits) {
			scr->rulelist[nrun++] = (uint32_t)(k * 64 + (size_t)__builtin_ctzll(bits));
			bits &= bits - 1;
		}
	}
	if (nrun) {
		fs_rules_set_subject(rules, scr->rscr, t->norm, t->norm_len);
	}
	/* the rules that hit are compacted to the front of rulelist as it is
	 * walked (index <= k, so never over an id still to be read) */
	res->rules_hit = scr->rulelist;
	for (k = 0; k < nrun; k++) {
		uint32_t r = scr->rulelist[k];
		const fs_rule_t *rule = fs_rules_get(rules, r);
		size_t start = 0, ms, me;
		fs_rules_rc_t rc;
		int hit = 0;

		res->rules_run++;
		if (!fs_rules_may_match(rules, scr->rscr, r)) {
			continue; /* a literal every match needs is not in the text */
		}
		while ((rc = fs_rules_match(rules, scr->rscr, r, t->norm, t->norm_len, start, &ms, &me)) ==
		       FS_RULES_MATCH) {
			size_t first = tok_at(t, ms), last = first, j;
			int overlap = 0;
			unsigned c;

			start = me;
			while (last + 1 < n && t->tok[last + 1].start < me) {
				last++;
			}
			if (first >= n) {
				break;
			}
			if (rule->negatable && negators_before(scr, first, NULL, NULL) % 2 == 1) {
				continue;
			}
			if (!hit) {
				hit = 1;
				scr->rulelist[res->nrules_hit++] = r;
			}
			res->flags |= rule->flags;
			for (c = 0; c < 64; c++) {
				if (rule->cats & (1ULL << c)) {
					cat_hit(scr, c, (uint32_t)first, rule->name, (uint32_t)strlen(rule->name));
				}
			}
			if (!rule->has_valence) {
				continue;
			}
			for (j = first; j <= last; j++) {
				overlap |= ti[j].covered;
			}
			if (overlap) {
				continue; /* an earlier rule already scored these words */
			}
			for (j = first; j <= last; j++) {
				ti[j].covered = 1;
			}
			{
				fs_explain_t *it = new_item(scr);
				if (!it) {
					return FS_ERR_NOMEM;
				}
				it->kind = FS_X_RULE;
				it->tok = (uint32_t)first;
				it->ntok = (uint32_t)(last - first + 1);
				it->start = t->map[ms];
				it->end = t->map[me];
				it->what = rule->name;
				it->what_len = (uint32_t)strlen(rule->name);
				it->valence = rule->valence;
			}
		}
		if (rc == FS_RULES_LIMIT || rc == FS_RULES_ERROR) {
			res->limit_hits++;
		}
	}

	/* 3. terms and modifiers, longest match first */
	for (i = 0; i < n;) {
		const fs_token_t *tok = &t->tok[i];
		const fs_lexent_t *best = ti[i].best;
		size_t blen = ti[i].blen, j;
		int cov = 0;

		ti[i].modent = NULL;
		if (tok->kind == FS_TOK_PUNCT || ti[i].covered) {
			i++;
			continue;
		}
		for (j = i + 1; j < i + blen; j++) {
			cov |= ti[j].covered;
		}
		if (cov) {
			/* a rule took part of this phrase: settle for a shorter one */
			const fs_lexent_t *e = ti[i].ent;
			size_t maxk = blen - 1;
			blen = 1;
			best = NULL;
			while (maxk >= 2) {
				best = longest_at(scr, i, maxk, 0, &blen);
				for (cov = 0, j = i + 1; best && j < i + blen; j++) {
					cov |= ti[j].covered;
				}
				if (!best || !cov) {
					break;
				}
				maxk = blen - 1;
				best = NULL;
				blen = 1;
			}
			if (!best && e && (e->has_valence || e->mod)) {
				best = e;
				blen = 1;
			}
		}
		if (!best) {
			i++;
			continue;
		}
		for (j = i; j < i + blen; j++) {
			ti[j].modent = best->mod ? best : NULL;
			ti[j].modstart = (uint32_t)i;
		}
		if (best->has_valence && best->valence != 0.0f) {
			fs_explain_t *it = new_item(scr);
			if (!it) {
				return FS_ERR_NOMEM;
			}
			it->kind = (tok->kind == FS_TOK_EMOJI || tok->kind == FS_TOK_EMOTICON) ? FS_X_EMOJI : FS_X_TERM;
			it->tok = (uint32_t)i;
			it->ntok = (uint32_t)blen;
			it->start = tok->ostart;
			it->end = t->tok[i + blen - 1].oend;
			it->what = fs_lexicon_key(lex, best);
			it->what_len = best->keylen;
			it->valence = best->valence;
			if (best->mod == FS_MOD_POLITE) {
				ti[i].polite = 1;
			} else if (best->mod == FS_MOD_REQUEST) {
				ti[i].polite = 2;
			}
		}
		i += blen;
	}

	/* 4. structure: sentences, clauses, contrast weights */
	nsent = 0;
	nclause = 0;
	for (i = 0; i < n; i++) {
		ti[i].sent = (uint32_t)nsent;
		ti[i].clause = (uint32_t)nclause;
		if (t->tok[i].kind == FS_TOK_PUNCT) {
			if (t->tok[i].flags & FS_TOKF_SENT_END) {
				scr->sentend[nsent] = (uint32_t)i;
				nsent++;
			}
			nclause++;
		} else if (ti[i].modent && ti[i].modstart == i &&
			   (ti[i].modent->mod == FS_MOD_CONTRAST || ti[i].modent->mod == FS_MOD_CONCESSIVE ||
			    ti[i].modent->mod == FS_MOD_HYPOTHETICAL)) {
			nclause++;
			ti[i].clause = (uint32_t)nclause;
		}
	}
	if (n && !(t->tok[n - 1].kind == FS_TOK_PUNCT && (t->tok[n - 1].flags & FS_TOKF_SENT_END))) {
		scr->sentend[nsent] = UINT32_MAX;
		nsent++;
	}
	{
		size_t prev = 0; /* first token after the previous contrast */
		for (i = 0; i < n; i++) {
			const fs_lexent_t *m = ti[i].modent;
			if (!m || ti[i].modstart != i) {
				continue;
			}
			if (m->mod == FS_MOD_VERDICT) {
				verdict = 1; /* a balanced verdict anywhere in the text (weighed in step 5) */
			} else if (m->mod == FS_MOD_IRONY) {
				irony = 1; /* an irony mark anywhere in the text (step 5) */
			} else if (m->mod == FS_MOD_REQUEST) {
				has_request = 1; /* "please change my address. Thanks." (step 7) */
			} else if (m->mod == FS_MOD_CONTRAST) {
				size_t next, j;
				if (i + m->ntoks >= n || (t->tok[i + m->ntoks].kind == FS_TOK_PUNCT &&
							  (t->tok[i + m->ntoks].flags & FS_TOKF_SENT_END))) {
					continue; /* "nobody came yet.": nothing follows it */
				}
				for (j = prev; j < i; j++) {
					ti[j].w = clamp_w(ti[j].w * CONTRAST_BEFORE);
					ti[j].wmods |= FS_XM_BEFORE_CONTRAST;
				}
				for (next = i + 1; next < n; next++) {
					if (ti[next].modent && ti[next].modstart == next &&
					    ti[next].modent->mod == FS_MOD_CONTRAST) {
						break;
					}
				}
				for (j = i + 1; j < next; j++) {
					ti[j].w = clamp_w(ti[j].w * CONTRAST_AFTER);
					ti[j].wmods |= FS_XM_AFTER_CONTRAST;
				}
				prev = i + 1;
			} else if (m->mod == FS_MOD_CONCESSIVE || m->mod == FS_MOD_HYPOTHETICAL) {
				size_t cend, j, s0, s1;
				for (cend = i + 1;
				     cend < n && cend - i <= CONCESSION_REACH && t->tok[cend].kind != FS_TOK_PUNCT;
				     cend++) {
				}
				if (cend == i + 1) {
					continue; /* "nice screen though." */
				}
				if (m->mod == FS_MOD_HYPOTHETICAL) {
					for (j = i + 1; j < cend; j++) {
						ti[j].w = clamp_w(ti[j].w * HYPOTHETICAL_W);
						ti[j].wmods |= FS_XM_HYPOTHETICAL;
					}
					continue;
				}
				/* the rest of the sentence weighs more (within CONCESSION_REACH
				 * tokens, which also keeps a pathological text linear) */
				for (s0 = i; s0 > 0 && i - s0 < CONCESSION_REACH && ti[s0 - 1].sent == ti[i].sent;
				     s0--) {
				}
				for (s1 = cend; s1 < n && s1 - cend < CONCESSION_REACH && ti[s1].sent == ti[i].sent;
				     s1++) {
				}
				for (j = s0; j < s1; j++) {
					if (j > i && j < cend) {
						ti[j].w = clamp_w(ti[j].w * CONCESSION_IN);
						ti[j].wmods |= FS_XM_CONCESSION;
					} else if (j != i) {
						ti[j].w = clamp_w(ti[j].w * CONCESSION_OUT);
					}
				}
			}
		}
	}

	/* question sentences opened by an interrogative with a single '?' */
	for (k = 0; k < nsent; k++) {
		uint32_t end = scr->sentend[k];
		size_t s0, q;
		scr->sentsum[k] = 0;
		if (end == UINT32_MAX || !t->tok[end].nquest) {
			continue;
		}
		has_question = 1;
		if (t->tok[end].nquest > 1) {
			continue;
		}
		for (s0 = end; s0 > 0 && ti[s0 - 1].sent == k; s0--) {
		}
		/* past punctuation and openers: "Hi there, can I ...?", "And what ...?" */
		while (s0 < end &&
		       (t->tok[s0].kind == FS_TOK_PUNCT || (ti[s0].modent && ti[s0].modent->mod == FS_MOD_OPENER))) {
			s0++;
		}
		q = s0;
		if (q < end && ti[q].modent && ti[q].modstart == q && ti[q].modent->mod == FS_MOD_HYPOTHETICAL) {
			/* "if it arrives damaged, how do I return it?": past the condition */
			while (q < end && t->tok[q].kind != FS_TOK_PUNCT) {
				q++;
			}
			q++;
		}
		if (q < end && ti[q].modent && ti[q].modent->mod == FS_MOD_INTERROGATIVE) {
			for (i = s0; i < end; i++) {
				ti[i].wmods |= FS_XM_QUESTION;
			}
		}
	}

	/* 5. local modifiers and weights */
	for (k = 0; k < scr->nitems; k++) {
		fs_explain_t *it = &scr->items[k];
		const tinfo_t *x = &ti[it->tok];
		if (it->kind == FS_X_RULE) {
			it->local = it->valence;
		} else {
			apply_local(scr, it, mixed_case);
		}
		it->score = it->local * x->w;
		it->mods |=
		    x->wmods & (FS_XM_BEFORE_CONTRAST | FS_XM_AFTER_CONTRAST | FS_XM_CONCESSION | FS_XM_HYPOTHETICAL);
		if ((x->wmods & FS_XM_QUESTION) && it->kind != FS_X_RULE) {
			it->score *= QUESTION_W;
			it->local *= QUESTION_W;
			it->mods |= FS_XM_QUESTION;
		}
		if (it->kind == FS_X_TERM && it->local > 0 && (t->tok[it->tok].flags & FS_TOKF_QUOTED)) {
			/* "the 'premium' seat", "the 'cosy log burner'": praise in quotation
			 * marks is someone else's claim; quoted problems ('service fee',
			 * 'session expired') are facts and keep their weight */
			it->score *= QUOTED_W;
			it->local *= QUOTED_W;
			it->mods |= FS_XM_QUOTED;
		}
		if (irony && it->kind == FS_X_TERM && it->local > 0) {
			/* "Love it 🙃": praise words are sarcastic; rules and emoji keep their sign */
			it->score = -it->score;
			it->local = -it->local;
			it->mods |= FS_XM_IRONY;
		}
		if (verdict) {
			it->score *= VERDICT_W;
			it->local *= VERDICT_W;
			it->mods |= FS_XM_VERDICT;
		}
	}

	/* 7. politeness (before emphasis, which follows the sentence sums):
	 * gratitude counts unless the rest is negative, or neutral in a text
	 * that asks a question ("thanks in advance" under a question) or makes
	 * a request ("please change my address. Thanks."); a request word
	 * counts only when the rest is positive */
	rest = 0;
	for (k = 0; k < scr->nitems; k++) {
		if (!ti[scr->items[k].tok].polite) {
			rest += scr->items[k].score;
		}
	}
	for (k = 0; k < scr->nitems; k++) {
		fs_explain_t *it = &scr->items[k];
		uint8_t kind = ti[it->tok].polite;
		if (kind && (rest < 0 || (kind == 2 && rest == 0) ||
			     (kind == 1 && rest == 0 && (has_question || has_request)))) {
			it->score = 0;
			it->local = 0;
			it->mods |= FS_XM_POLITE;
		}
	}

	/* 6. sentence emphasis */
	{
		size_t nterm = scr->nitems;
		for (k = 0; k < nterm; k++) {
			scr->sentsum[ti[scr->items[k].tok].sent] += scr->items[k].score;
		}
		for (k = 0; k < nsent; k++) {
			uint32_t end = scr->sentend[k];
			float s = signf(scr->sentsum[k]), add = 0;
			fs_explain_t *it;
			uint8_t kind;
			if (end == UINT32_MAX || s == 0) {
				continue;
			}
			if (t->tok[end].nexcl) {
				unsigned ne = t->tok[end].nexcl > 4 ? 4 : t->tok[end].nexcl;
				add = s * EXCL_INCR * (float)ne;
				kind = FS_X_EXCLAIM;
			} else if (t->tok[end].nquest > 1) {
				unsigned nq = t->tok[end].nquest;
				add = s * (nq <= 3 ? QM_INCR * (float)nq : 0.96f);
				kind = FS_X_QMARKS;
			} else {
				continue;
			}
			it = new_item(scr);
			if (!it) {
				return FS_ERR_NOMEM;
			}
			it->kind = kind;
			it->tok = end;
			it->ntok = 1;
			it->start = t->tok[end].ostart;
			it->end = t->tok[end].oend;
			it->what = kind == FS_X_EXCLAIM ? "!" : "?";
			it->what_len = 1;
			it->valence = add;
			it->local = add;
			it->score = add;
		}
	}

	/* 8. totals */
	total = 0;
	for (k = 0; k < scr->nitems; k++) {
		float s = scr->items[k].score;
		total += s;
		if (s > 0) {
			pos_sum += s;
		} else {
			neg_sum -= s;
		}
	}
	for (i = 0; i < n; i++) {
		if (t->tok[i].kind == FS_TOK_WORD && !ti[i].covered) {
			neu_words++;
		}
	}
	for (k = 0; k < scr->nitems; k++) {
		if (scr->items[k].kind == FS_X_TERM && scr->items[k].score != 0) {
			neu_words = neu_words > scr->items[k].ntok ? neu_words - scr->items[k].ntok : 0;
		}
	}
	if (nsent > LONG_TEXT_SENTENCES) {
		res->length_factor = sqrt((double)nsent / LONG_TEXT_SENTENCES);
		total /= res->length_factor;
	}
	res->compound = squash(total);
	res->label = fs_engine_label(engine, res->compound);
	{
		double mass = pos_sum + neg_sum + neu_words;
		if (mass > 0) {
			res->pos = round(pos_sum / mass * 10000) / 10000;
			res->neg = round(neg_sum / mass * 10000) / 10000;
			res->neu = 1.0 - res->pos - res->neg;
			if (res->neu < 0) {
				res->neu = 0;
			}
		} else {
			res->neu = 1;
		}
	}

	/* 9. categories */
	catmask = scr->catmask;
	res->ncats = 0;
	for (k = 0; k < FS_TAG_MAX && catmask; k++) {
		catacc_t *c = &scr->cats[k];
		double sum = 0;
		size_t m, q;
		int any = 0;
		if (!(catmask & (1ULL << k))) {
			continue;
		}
		catmask &= ~(1ULL << k);
		for (q = 0; q < scr->nitems; q++) {
			const fs_explain_t *it = &scr->items[q];
			for (m = 0; m < c->ntoks; m++) {
				if (ti[it->tok].clause == ti[c->toks[m]].clause) {
					sum += it->local;
					any |= it->local != 0;
					break;
				}
			}
		}
		if (!any) {
			for (q = 0; q < scr->nitems; q++) {
				const fs_explain_t *it = &scr->items[q];
				for (m = 0; m < c->ntoks; m++) {
					if (ti[it->tok].sent == ti[c->toks[m]].sent) {
						sum += it->local;
						break;
					}
				}
			}
		}
		c->res.compound = squash(sum);
		c->res.label = fs_engine_label(engine, c->res.compound);
		scr->catres[res->ncats++] = c->res;
	}
	res->cats = scr->catres;
	res->explain = scr->items;
	res->nexplain = scr->nitems;
	return FS_OK;
}
