/*
 * lexicon: loading lexicon and modifier files into one open-addressing hash
 * table of normalised keys, plus a small prefix table for "word*" triggers.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feedsense/buf.h"
#include "feedsense/lexicon.h"
#include "feedsense/text.h"

#define MAX_FILES         64
#define MAX_PHRASE_TOKENS 8

typedef struct trigpair {
	uint32_t ent;
	uint32_t trig;
} trigpair_t;

/* One hash table of entries (used twice: full keys and prefixes). */
typedef struct table {
	fs_lexent_t *ents;
	size_t n, cap;
	uint32_t *slots; /* entry index + 1; 0 = empty */
	size_t nslots;   /* power of two */
} table_t;

struct fs_lexicon {
	table_t words;    /* words and phrases */
	table_t prefixes; /* "prefix*" triggers */
	fs_buf_t keys;    /* key arena */
	char *files[MAX_FILES];
	unsigned nfiles;
	trigpair_t *pairs;
	size_t npairs, pairs_cap;
	uint32_t *trigs;
	size_t ntrigs;
	uint64_t prefix_bloom[1024];  /* 65536 bits over the first 3 bytes of prefixes */
	uint32_t prefix_lens;         /* bit n set: some prefix has length n (n < 32) */
	uint64_t phrase_filter[4096]; /* 2^18-bit filter over phrase keys and their word prefixes */
	unsigned max_phrase;
	fs_text_t text; /* scratch used to normalise keys while loading */
	fs_buf_t keybuf;
};

void fs_diag_report(fs_diag_t *diag, int is_error, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!diag) {
		return;
	}
	if (is_error) {
		diag->nerrors++;
	} else {
		diag->nwarnings++;
	}
	if (!diag->fn) {
		return;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag->fn(diag->opaque, is_error, msg);
}

static const char *mod_names[] = {
    "none",         "booster", "negator", "contrast", "concessive", "polite", "interrogative",
    "hypothetical", "ignore",  "request", "opener",   "verdict",    "irony",
};

int fs_mod_parse(const char *s, size_t len)
{
	size_t i;
	for (i = 1; i < sizeof(mod_names) / sizeof(mod_names[0]); i++) {
		if (strlen(mod_names[i]) == len && memcmp(mod_names[i], s, len) == 0) {
			return (int)i;
		}
	}
	return -1;
}

const char *fs_mod_name(fs_mod_t mod)
{
	if ((size_t)mod < sizeof(mod_names) / sizeof(mod_names[0])) {
		return mod_names[mod];
	}
	return "unknown";
}

fs_lexicon_t *fs_lexicon_new(void)
{
	fs_lexicon_t *lex = calloc(1, sizeof(*lex));
	if (!lex) {
		return NULL;
	}
	fs_text_init(&lex->text);
	return lex;
}

static void table_free(table_t *t)
{
	free(t->ents);
	free(t->slots);
}

void fs_lexicon_destroy(fs_lexicon_t *lex)
{
	unsigned i;

	if (!lex) {
		return;
	}
	table_free(&lex->words);
	table_free(&lex->prefixes);
	fs_buf_free(&lex->keys);
	fs_buf_free(&lex->keybuf);
	for (i = 0; i < lex->nfiles; i++) {
		free(lex->files[i]);
	}
	free(lex->pairs);
	free(lex->trigs);
	fs_text_free(&lex->text);
	free(lex);
}

const char *fs_lexicon_key(const fs_lexicon_t *lex, const fs_lexent_t *ent)
{
	return lex->keys.p + ent->key_off;
}

const uint32_t *fs_lexicon_triggers(const fs_lexicon_t *lex, const fs_lexent_t *ent)
{
	return lex->trigs + ent->trig_off;
}

const char *fs_lexicon_file_name(const fs_lexicon_t *lex, unsigned file)
{
	return file < lex->nfiles ? lex->files[file] : "?";
}

size_t fs_lexicon_count(const fs_lexicon_t *lex)
{
	size_t i, n = 0;
	for (i = 0; i < lex->words.n; i++) {
		n += lex->words.ents[i].has_valence;
	}
	return n;
}

unsigned fs_lexicon_max_phrase(const fs_lexicon_t *lex)
{
	return lex->max_phrase;
}

/*
 * Linear probing from the hash's slot until an empty slot; @p eq confirms a
 * hash match against the caller's key. Inlined with its constant @p eq, so
 * the plain-bytes lookup on the hot path pays no indirect call.
 */
static inline const fs_lexent_t *table_probe(const fs_lexicon_t *lex, const table_t *t, uint64_t hash,
					     int (*eq)(void *opaque, const char *key, size_t len), void *opaque)
{
	size_t mask, i;

	if (!t->nslots) {
		return NULL;
	}
	mask = t->nslots - 1;
	for (i = (size_t)hash & mask;; i = (i + 1) & mask) {
		uint32_t s = t->slots[i];
		const fs_lexent_t *e;
		if (!s) {
			return NULL;
		}
		e = &t->ents[s - 1];
		if (e->hash == hash && eq(opaque, lex->keys.p + e->key_off, e->keylen)) {
			return e;
		}
	}
}

typedef struct bytes {
	const char *p;
	size_t len;
} bytes_t;

static inline int bytes_eq(void *opaque, const char *key, size_t len)
{
	const bytes_t *b = opaque;
	return len == b->len && memcmp(key, b->p, len) == 0;
}

static const fs_lexent_t *table_get(const fs_lexicon_t *lex, const table_t *t, uint64_t hash, const char *key,
				    size_t len)
{
	bytes_t b = {key, len};
	return table_probe(lex, t, hash, bytes_eq, &b);
}

#define PHRASE_BIT(h) ((uint32_t)((h) >> 40) & 0x3FFFFu)

int fs_lexicon_phrase_maybe(const fs_lexicon_t *lex, uint64_t hash)
{
	uint32_t b = PHRASE_BIT(hash);
	return (lex->phrase_filter[b >> 6] >> (b & 63)) & 1;
}

const fs_lexent_t *fs_lexicon_get_hash(const fs_lexicon_t *lex, uint64_t hash,
				       int (*eq)(void *opaque, const char *key, size_t len), void *opaque)
{
	return table_probe(lex, &lex->words, hash, eq, opaque);
}

const fs_lexent_t *fs_lexicon_get(const fs_lexicon_t *lex, uint64_t hash, const char *key, size_t len)
{
	return table_get(lex, &lex->words, hash, key, len);
}

static fs_err_t table_rehash(table_t *t, size_t nslots)
{
	uint32_t *slots = calloc(nslots, sizeof(*slots));
	size_t k;

	if (!slots) {
		return FS_ERR_NOMEM;
	}
	for (k = 0; k < t->n; k++) {
		size_t i = (size_t)t->ents[k].hash & (nslots - 1);
		while (slots[i]) {
			i = (i + 1) & (nslots - 1);
		}
		slots[i] = (uint32_t)k + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return FS_OK;
}

/* Find or create the entry for a normalised key. */
static fs_lexent_t *table_upsert(fs_lexicon_t *lex, table_t *t, const char *key, size_t len, unsigned ntoks,
				 int *created)
{
	uint64_t hash = fs_hash_update(FS_HASH_INIT, key, len);
	const fs_lexent_t *found = table_get(lex, t, hash, key, len);
	fs_lexent_t *e;
	size_t i;

	*created = 0;
	if (found) {
		return (fs_lexent_t *)found;
	}
	if ((t->n + 1) * 2 > t->nslots) {
		if (table_rehash(t, t->nslots ? t->nslots * 2 : 1024) != FS_OK) {
			return NULL;
		}
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		fs_lexent_t *ents = realloc(t->ents, cap * sizeof(*ents));
		if (!ents) {
			return NULL;
		}
		t->ents = ents;
		t->cap = cap;
	}
	e = &t->ents[t->n];
	memset(e, 0, sizeof(*e));
	e->hash = hash;
	e->key_off = (uint32_t)lex->keys.len;
	e->keylen = (uint32_t)len;
	e->ntoks = (uint8_t)ntoks;
	e->phrase_max = 1;
	fs_buf_append(&lex->keys, key, len);
	fs_buf_putc(&lex->keys, '\0');
	if (lex->keys.oom) {
		return NULL;
	}
	for (i = (size_t)hash & (t->nslots - 1); t->slots[i]; i = (i + 1) & (t->nslots - 1)) {
	}
	t->slots[i] = (uint32_t)++t->n;
	*created = 1;
	return e;
}

#define KEY_NOMEM    (-1)
#define KEY_BAD_UTF8 (-2)

/*
 * Normalise a term into lex->keybuf: tokenise it like text, keep word, emoji
 * and emoticon tokens, join them with single spaces. Returns the token count
 * (0 if the term has none), KEY_BAD_UTF8 or KEY_NOMEM.
 */
static int normalise_key(fs_lexicon_t *lex, const char *term, size_t len)
{
	size_t k;
	int ntoks = 0;
	fs_err_t err;

	fs_buf_reset(&lex->keybuf);
	if ((err = fs_text_process(&lex->text, term, len, NULL)) != FS_OK) {
		return err == FS_ERR_UTF8 ? KEY_BAD_UTF8 : KEY_NOMEM;
	}
	for (k = 0; k < lex->text.ntok; k++) {
		const fs_token_t *tok = &lex->text.tok[k];
		if (tok->kind == FS_TOK_PUNCT) {
			continue;
		}
		if (ntoks) {
			fs_buf_putc(&lex->keybuf, ' ');
		}
		fs_buf_append(&lex->keybuf, fs_tok_ptr(&lex->text, tok), fs_tok_len(tok));
		ntoks++;
	}
	if (lex->keybuf.oom) {
		return -1;
	}
	return ntoks;
}

/*
 * Phrases never span clause or sentence punctuation in the text (a comma, a
 * full stop, a colon...), and the key drops it: a term written with one
 * between its words matches only text written without it. Said as a
 * warning, from the tokens normalise_key() just made of @p term.
 */
static void warn_key_punct(const fs_lexicon_t *lex, fs_diag_t *diag, const char *name, unsigned lineno,
			   const char *term, size_t len)
{
	const fs_token_t *punct = NULL;
	size_t k;
	int words = 0;

	for (k = 0; k < lex->text.ntok; k++) {
		const fs_token_t *tok = &lex->text.tok[k];
		if (tok->kind != FS_TOK_PUNCT) {
			if (punct) {
				fs_diag_report(
				    diag, 0,
				    "%s:%u: '%.*s': phrases never match across '%.*s', so this entry matches "
				    "only text written without it ('%s')",
				    name, lineno, (int)len, term, (int)(punct->oend - punct->ostart),
				    term + punct->ostart, lex->keybuf.p);
				return;
			}
			words++;
		} else if (words && !punct) {
			punct = tok;
		}
	}
}

static int add_file(fs_lexicon_t *lex, const char *name)
{
	if (lex->nfiles == MAX_FILES) {
		return -1;
	}
	lex->files[lex->nfiles] = strdup(name);
	if (!lex->files[lex->nfiles]) {
		return -1;
	}
	return (int)lex->nfiles++;
}

/* Iterate over the lines of a buffer. */
typedef struct lines {
	const char *p, *end;
	unsigned lineno;
} lines_t;

static int next_line(lines_t *it, const char **line, size_t *len)
{
	const char *nl;

	if (it->p >= it->end) {
		return 0;
	}
	nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
	*line = it->p;
	*len = nl ? (size_t)(nl - it->p) : (size_t)(it->end - it->p);
	it->p = nl ? nl + 1 : it->end;
	it->lineno++;
	if (*len && (*line)[*len - 1] == '\r') {
		(*len)--;
	}
	return 1;
}

static int blank_or_comment(const char *line, size_t len)
{
	size_t i = 0;
	while (i < len && (line[i] == ' ' || line[i] == '\t')) {
		i++;
	}
	return i == len || line[i] == '#';
}

/* Parse a number field; returns 0 on success. */
static int parse_num(const char *s, size_t len, double *out)
{
	char tmp[64];
	char *end;

	while (len && (*s == ' ')) {
		s++;
		len--;
	}
	while (len && (s[len - 1] == ' ')) {
		len--;
	}
	if (!len || len >= sizeof(tmp)) {
		return -1;
	}
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	errno = 0;
	*out = strtod(tmp, &end);
	if (errno || *end || !isfinite(*out)) {
		return -1;
	}
	return 0;
}

/* Report a problem: in keep-going mode it is counted and the line skipped
 * (returns 0); otherwise errstr is filled and FS_ERR_PARSE returned. */
#define PROBLEM(...)                                                                                                   \
	{                                                                                                              \
		fs_diag_report(diag, 1, __VA_ARGS__);                                                                  \
		if (diag && diag->keep_going) {                                                                        \
			continue; /* skip the bad line */                                                              \
		}                                                                                                      \
		return fs_seterr(errstr, errstr_size, FS_ERR_PARSE, __VA_ARGS__);                                      \
	}

fs_err_t fs_lexicon_load(fs_lexicon_t *lex, const char *name, const char *data, size_t len, fs_lexfmt_t fmt,
			 fs_diag_t *diag, char *errstr, size_t errstr_size)
{
	lines_t it = {data, data + len, 0};
	const char *line;
	size_t llen;
	int file;
	double lo = fmt == FS_LEXFMT_AFINN ? -5 : -4, hi = -lo;

	if ((file = add_file(lex, name)) < 0) {
		return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "%s: too many lexicon files", name);
	}
	while (next_line(&it, &line, &llen)) {
		const char *tab, *vend;
		double v;
		int ntoks, created;
		fs_lexent_t *e;
		size_t pos;

		if (blank_or_comment(line, llen)) {
			continue;
		}
		if (!fs_utf8_valid(line, llen, &pos)) {
			PROBLEM("%s:%u: invalid UTF-8 at byte %zu of the line", name, it.lineno, pos + 1);
		}
		tab = memchr(line, '\t', llen);
		if (!tab) {
			PROBLEM("%s:%u: expected term<TAB>valence", name, it.lineno);
		}
		vend = memchr(tab + 1, '\t', (size_t)(line + llen - tab - 1));
		if (!vend) {
			vend = line + llen;
		}
		if (parse_num(tab + 1, (size_t)(vend - tab - 1), &v) != 0) {
			PROBLEM("%s:%u: valence '%.*s' is not a number", name, it.lineno, (int)(vend - tab - 1),
				tab + 1);
		}
		if (v < lo || v > hi) {
			PROBLEM("%s:%u: valence %g out of range %g..%g", name, it.lineno, v, lo, hi);
		}
		if (fmt == FS_LEXFMT_AFINN) {
			v = v * 4.0 / 5.0;
		}
		ntoks = normalise_key(lex, line, (size_t)(tab - line));
		if (ntoks == KEY_NOMEM) {
			return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "%s:%u: out of memory", name, it.lineno);
		}
		if (ntoks == KEY_BAD_UTF8) {
			PROBLEM("%s:%u: term is not valid UTF-8", name, it.lineno);
		}
		if (ntoks == 0) {
			PROBLEM("%s:%u: term '%.*s' has no words", name, it.lineno, (int)(tab - line), line);
		}
		if (ntoks > MAX_PHRASE_TOKENS) {
			PROBLEM("%s:%u: phrase has %d words, at most %d are allowed", name, it.lineno, ntoks,
				MAX_PHRASE_TOKENS);
		}
		warn_key_punct(lex, diag, name, it.lineno, line, (size_t)(tab - line));
		e = table_upsert(lex, &lex->words, lex->keybuf.p, lex->keybuf.len, (unsigned)ntoks, &created);
		if (!e) {
			return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "%s:%u: out of memory", name, it.lineno);
		}
		if (!created && e->has_valence && e->file == file) {
			if (fabsf(e->valence - (float)v) > 1e-6f) {
				PROBLEM("%s:%u: '%s' already defined at line %u with valence %g", name, it.lineno,
					lex->keybuf.p, e->line, (double)e->valence);
			}
			fs_diag_report(diag, 0, "%s:%u: '%s' duplicates line %u", name, it.lineno, lex->keybuf.p,
				       e->line);
		}
		e->valence = (float)v;
		e->has_valence = 1;
		e->file = (uint16_t)file;
		e->line = it.lineno;
	}
	return FS_OK;
}

fs_err_t fs_lexicon_load_modifiers(fs_lexicon_t *lex, const char *name, const char *data, size_t len, fs_diag_t *diag,
				   char *errstr, size_t errstr_size)
{
	lines_t it = {data, data + len, 0};
	const char *line;
	size_t llen;
	int file;

	if ((file = add_file(lex, name)) < 0) {
		return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "%s: too many lexicon files", name);
	}
	while (next_line(&it, &line, &llen)) {
		const char *tab, *tab2, *end = line + llen;
		double v = 0;
		int ntoks, created, mod;
		fs_lexent_t *e;

		if (blank_or_comment(line, llen)) {
			continue;
		}
		tab = memchr(line, '\t', llen);
		if (!tab) {
			PROBLEM("%s:%u: expected term<TAB>kind[<TAB>value]", name, it.lineno);
		}
		tab2 = memchr(tab + 1, '\t', (size_t)(end - tab - 1));
		mod = fs_mod_parse(tab + 1, (size_t)((tab2 ? tab2 : end) - tab - 1));
		if (mod < 0) {
			PROBLEM("%s:%u: unknown modifier kind '%.*s' (booster, negator, contrast, concessive, polite, "
				"interrogative, hypothetical, ignore, request, opener, verdict, irony)",
				name, it.lineno, (int)((tab2 ? tab2 : end) - tab - 1), tab + 1);
		}
		if (mod == FS_MOD_BOOSTER) {
			if (!tab2 || parse_num(tab2 + 1, (size_t)(end - tab2 - 1), &v) != 0) {
				PROBLEM("%s:%u: a booster needs a numeric value", name, it.lineno);
			}
			if (v < -1 || v > 1) {
				PROBLEM("%s:%u: booster value %g out of range -1..1", name, it.lineno, v);
			}
		}
		ntoks = normalise_key(lex, line, (size_t)(tab - line));
		if (ntoks == KEY_NOMEM) {
			return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "%s:%u: out of memory", name, it.lineno);
		}
		if (ntoks == KEY_BAD_UTF8) {
			PROBLEM("%s:%u: term is not valid UTF-8", name, it.lineno);
		}
		if (ntoks == 0 || ntoks > MAX_PHRASE_TOKENS) {
			PROBLEM("%s:%u: term '%.*s' must have 1 to %d words", name, it.lineno, (int)(tab - line), line,
				MAX_PHRASE_TOKENS);
		}
		warn_key_punct(lex, diag, name, it.lineno, line, (size_t)(tab - line));
		e = table_upsert(lex, &lex->words, lex->keybuf.p, lex->keybuf.len, (unsigned)ntoks, &created);
		if (!e) {
			return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "%s:%u: out of memory", name, it.lineno);
		}
		if (e->mod && (e->mod != mod || fabsf(e->modval - (float)v) > 1e-6f)) {
			PROBLEM("%s:%u: '%s' already has modifier %s", name, it.lineno, lex->keybuf.p,
				fs_mod_name((fs_mod_t)e->mod));
		}
		e->mod = (uint8_t)mod;
		e->modval = (float)v;
		if (!e->has_valence) {
			e->file = (uint16_t)file;
			e->line = it.lineno;
		}
	}
	return FS_OK;
}

fs_err_t fs_lexicon_add_trigger(fs_lexicon_t *lex, const char *term, size_t len, uint32_t trigger, char *errstr,
				size_t errstr_size)
{
	fs_lexent_t *e;
	table_t *t = &lex->words;
	int ntoks, created;
	uint32_t ent;

	while (len && (term[0] == ' ' || term[0] == '\t')) {
		term++;
		len--;
	}
	while (len && (term[len - 1] == ' ' || term[len - 1] == '\t')) {
		len--;
	}
	if (len && term[len - 1] == '*') {
		t = &lex->prefixes;
		len--;
	}
	ntoks = normalise_key(lex, term, len);
	if (ntoks == KEY_NOMEM) {
		return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "out of memory");
	}
	if (ntoks == KEY_BAD_UTF8) {
		return fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "term is not valid UTF-8");
	}
	if (ntoks == 0 || ntoks > MAX_PHRASE_TOKENS) {
		return fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "term '%.*s' must have 1 to %d words", (int)len,
				 term, MAX_PHRASE_TOKENS);
	}
	if (t == &lex->prefixes) {
		if (ntoks != 1 || lex->keybuf.len < 3 || lex->keybuf.len >= 32) {
			return fs_seterr(errstr, errstr_size, FS_ERR_PARSE,
					 "prefix '%.*s*' must be one word of 3 to 31 bytes", (int)len, term);
		}
	}
	e = table_upsert(lex, t, lex->keybuf.p, lex->keybuf.len, (unsigned)ntoks, &created);
	if (!e) {
		return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "out of memory");
	}
	ent = (uint32_t)(e - t->ents) | (t == &lex->prefixes ? 0x80000000u : 0);
	if (t == &lex->prefixes) {
		const unsigned char *k = (const unsigned char *)lex->keybuf.p;
		uint32_t b = ((uint32_t)k[0] << 8 ^ (uint32_t)k[1] << 4 ^ k[2]) * 2654435761u >> 16;
		lex->prefix_bloom[b >> 6] |= 1ULL << (b & 63);
		lex->prefix_lens |= 1u << lex->keybuf.len;
	}
	if (lex->npairs == lex->pairs_cap) {
		size_t cap = lex->pairs_cap ? lex->pairs_cap * 2 : 256;
		trigpair_t *p = realloc(lex->pairs, cap * sizeof(*p));
		if (!p) {
			return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "out of memory");
		}
		lex->pairs = p;
		lex->pairs_cap = cap;
	}
	lex->pairs[lex->npairs].ent = ent;
	lex->pairs[lex->npairs].trig = trigger;
	lex->npairs++;
	return FS_OK;
}

static int cmp_pairs(const void *a, const void *b)
{
	const trigpair_t *x = a, *y = b;
	if (x->ent != y->ent) {
		return x->ent < y->ent ? -1 : 1;
	}
	if (x->trig != y->trig) {
		return x->trig < y->trig ? -1 : 1;
	}
	return 0;
}

fs_err_t fs_lexicon_freeze(fs_lexicon_t *lex)
{
	size_t i;

	free(lex->trigs);
	lex->trigs = NULL;
	lex->ntrigs = 0;
	if (lex->npairs > 1) {
		qsort(lex->pairs, lex->npairs, sizeof(*lex->pairs), cmp_pairs);
	}
	if (lex->npairs) {
		lex->trigs = malloc(lex->npairs * sizeof(*lex->trigs));
		if (!lex->trigs) {
			return FS_ERR_NOMEM;
		}
	}
	for (i = 0; i < lex->npairs; i++) {
		uint32_t ent = lex->pairs[i].ent;
		table_t *t = (ent & 0x80000000u) ? &lex->prefixes : &lex->words;
		fs_lexent_t *e = &t->ents[ent & 0x7fffffffu];
		if (i && lex->pairs[i - 1].ent == ent && lex->pairs[i - 1].trig == lex->pairs[i].trig) {
			continue;
		}
		if (!e->ntrig) {
			e->trig_off = (uint32_t)lex->ntrigs;
		}
		lex->trigs[lex->ntrigs++] = lex->pairs[i].trig;
		e->ntrig++;
	}
	/* phrase lengths: every phrase makes sure its first word has an entry */
	lex->max_phrase = 1;
	for (i = 0; i < lex->words.n; i++) {
		fs_lexent_t *e = &lex->words.ents[i];
		const char *key = lex->keys.p + e->key_off, *sp;
		fs_lexent_t *first;
		int created;
		unsigned ntoks = e->ntoks;

		if (ntoks <= 1) {
			continue;
		}
		if (ntoks > lex->max_phrase) {
			lex->max_phrase = ntoks;
		}
		{
			/* the filter holds every multi-word prefix and the whole key */
			uint64_t h = FS_HASH_INIT;
			uint32_t k, words = 1, b;
			for (k = 0; k < e->keylen; k++) {
				if (key[k] == ' ' && words++ >= 2) {
					b = PHRASE_BIT(h);
					lex->phrase_filter[b >> 6] |= 1ULL << (b & 63);
				}
				h = fs_hash_update(h, key + k, 1);
			}
			b = PHRASE_BIT(h);
			lex->phrase_filter[b >> 6] |= 1ULL << (b & 63);
		}
		sp = memchr(key, ' ', e->keylen);
		if (!sp) {
			continue;
		}
		/* copy: the upsert may move the key arena under `key` */
		fs_buf_reset(&lex->keybuf);
		fs_buf_append(&lex->keybuf, key, (size_t)(sp - key));
		if (lex->keybuf.oom) {
			return FS_ERR_NOMEM;
		}
		first = table_upsert(lex, &lex->words, lex->keybuf.p, lex->keybuf.len, 1, &created);
		if (!first) {
			return FS_ERR_NOMEM;
		}
		e = &lex->words.ents[i]; /* table may have moved */
		if (created) {
			first->line = 0;
		}
		if (ntoks > first->phrase_max) {
			first->phrase_max = (uint8_t)ntoks;
		}
	}
	return FS_OK;
}

void fs_lexicon_prefixes(const fs_lexicon_t *lex, const char *w, size_t len,
			 void (*fn)(void *opaque, const fs_lexent_t *ent), void *opaque)
{
	const unsigned char *k = (const unsigned char *)w;
	uint32_t b, lens;
	size_t n;
	uint64_t h;

	if (len < 3 || !lex->prefix_lens) {
		return; /* prefixes have at least 3 bytes */
	}
	b = ((uint32_t)k[0] << 8 ^ (uint32_t)k[1] << 4 ^ k[2]) * 2654435761u >> 16;
	if (!(lex->prefix_bloom[b >> 6] & (1ULL << (b & 63)))) {
		return;
	}
	h = fs_hash_update(FS_HASH_INIT, w, 3);
	lens = lex->prefix_lens;
	for (n = 3; n <= len && n < 32; n++) { /* "refund*" matches "refund" too */
		if (n > 3) {
			h = fs_hash_update(h, w + n - 1, 1);
		}
		if (lens & (1u << n)) {
			const fs_lexent_t *e = table_get(lex, &lex->prefixes, h, w, n);
			if (e) {
				fn(opaque, e);
			}
		}
	}
}
