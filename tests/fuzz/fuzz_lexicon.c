/*
 * fuzz_lexicon: the lexicon loaders on arbitrary data.
 *
 * The same bytes are loaded, into one table, as a native lexicon, a VADER
 * lexicon, an AFINN lexicon and a modifiers file; then the first field of
 * every line is registered as a trigger (a category or a rule, "word*" as a
 * prefix) and the table is frozen. This runs three times: without a
 * diagnostics sink, with one that stops at the first error, and with a
 * keep-going one (`feedsense lexicon check`).
 *
 * Checks:
 *  - a load returns FS_OK or FS_ERR_PARSE with "name:line: reason"; never
 *    FS_ERR_NOMEM, which under the fuzzer's allocator can only be a wrong
 *    report; with keep-going set it returns FS_OK (bad lines are skipped);
 *    an error counted in the sink is the one returned;
 *  - adding a trigger returns FS_OK or FS_ERR_PARSE, never FS_ERR_NOMEM;
 *  - after freezing, every line's term looks up (if present) to an entry
 *    whose key is the term's normalised form, with a valence in -4..4, a
 *    known modifier kind, a booster strength in -1..1, triggers that were
 *    registered, a phrase filter that admits every phrase, and a first word
 *    whose phrase_max covers the phrase;
 *  - prefix matches of every word are prefixes of that word.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "feedsense/lexicon.h"
#include "feedsense/text.h"
#include "fuzz_util.h"

#define NTRIG_MAX 4096

typedef struct sink {
	unsigned nmsg;
} sink_t;

static fs_text_t text; /* tokens of a term, to build its key */
static fs_buf_t key = FS_BUF_INIT;
static uint32_t ntrig_added;

static void on_diag(void *opaque, int is_error, const char *msg)
{
	sink_t *s = opaque;
	(void)is_error;
	FUZZ_CHECK(msg && *msg, "empty diagnostic");
	s->nmsg++;
}

static void check_load(fs_err_t err, const char *what, const char *name, const char *errstr, const fs_diag_t *diag,
		       unsigned nerrors_before)
{
	FUZZ_CHECK(err != FS_ERR_NOMEM, "%s reported out of memory: %s", what, errstr);
	FUZZ_CHECK(err == FS_OK || err == FS_ERR_PARSE, "%s: %s: %s", what, fs_err2str(err), errstr);
	if (diag && diag->keep_going) {
		FUZZ_CHECK(err == FS_OK, "%s stopped in keep-going mode: %s", what, errstr);
	}
	if (err != FS_OK) {
		FUZZ_CHECK(strncmp(errstr, name, strlen(name)) == 0 && errstr[strlen(name)] == ':',
			   "%s: message does not start with \"%s:\": %s", what, name, errstr);
		if (diag) {
			FUZZ_CHECK(diag->nerrors > nerrors_before, "%s: error not counted in the sink: %s", what,
				   errstr);
		}
	}
}

/* The normalised key of a term, as the loaders build it; returns its token count or -1. */
static int make_key(const char *term, size_t len)
{
	size_t k;
	int ntoks = 0;

	fs_buf_reset(&key);
	if (fs_text_process(&text, term, len, NULL) != FS_OK) {
		return -1;
	}
	for (k = 0; k < text.ntok; k++) {
		const fs_token_t *tok = &text.tok[k];
		if (tok->kind == FS_TOK_PUNCT) {
			continue;
		}
		if (ntoks) {
			fs_buf_putc(&key, ' ');
		}
		fs_buf_append(&key, fs_tok_ptr(&text, tok), fs_tok_len(tok));
		ntoks++;
	}
	return ntoks;
}

static void check_entry(const fs_lexicon_t *lex, const fs_lexent_t *e, const char *k, size_t klen, int ntoks)
{
	/* the scorer asks for triggers only when there are some (the list may be NULL) */
	const uint32_t *trig = e->ntrig ? fs_lexicon_triggers(lex, e) : NULL;
	unsigned i;

	FUZZ_CHECK(e->keylen == klen && memcmp(fs_lexicon_key(lex, e), k, klen) == 0 &&
		       fs_lexicon_key(lex, e)[klen] == '\0',
		   "entry key \"%.*s\" for \"%.*s\"", (int)e->keylen, fs_lexicon_key(lex, e), (int)klen, k);
	FUZZ_CHECK(e->ntoks == ntoks, "entry \"%.*s\" has %u tokens, expected %d", (int)klen, k, e->ntoks, ntoks);
	FUZZ_CHECK(!e->has_valence || (isfinite(e->valence) && e->valence >= -4 && e->valence <= 4),
		   "entry \"%.*s\" valence %g", (int)klen, k, (double)e->valence);
	FUZZ_CHECK(e->mod <= FS_MOD_LAST, "entry \"%.*s\" modifier %u", (int)klen, k, e->mod);
	FUZZ_CHECK(e->mod != FS_MOD_BOOSTER || (e->modval >= -1 && e->modval <= 1), "booster \"%.*s\" strength %g",
		   (int)klen, k, (double)e->modval);
	for (i = 0; i < e->ntrig; i++) {
		FUZZ_CHECK((trig[i] & ~FS_TRIG_CATEGORY) < ntrig_added, "entry \"%.*s\" trigger 0x%x never added",
			   (int)klen, k, trig[i]);
		FUZZ_CHECK(!i || trig[i - 1] < trig[i], "entry \"%.*s\" triggers not sorted and unique", (int)klen, k);
	}
	if (ntoks >= 2) {
		const char *sp = memchr(k, ' ', klen);
		const fs_lexent_t *first;
		FUZZ_CHECK(fs_lexicon_phrase_maybe(lex, e->hash), "phrase filter refuses \"%.*s\"", (int)klen, k);
		FUZZ_CHECK(sp != NULL, "phrase \"%.*s\" has no space", (int)klen, k);
		first = fs_lexicon_get(lex, fs_hash_update(FS_HASH_INIT, k, (size_t)(sp - k)), k, (size_t)(sp - k));
		FUZZ_CHECK(first && first->phrase_max >= ntoks, "first word of \"%.*s\": %s, phrase_max %u", (int)klen,
			   k, first ? "present" : "missing", first ? first->phrase_max : 0);
	}
}

typedef struct prefix_ctx {
	const fs_lexicon_t *lex;
	const char *w;
	size_t len;
} prefix_ctx_t;

static void on_prefix(void *opaque, const fs_lexent_t *e)
{
	const prefix_ctx_t *c = opaque;
	FUZZ_CHECK(e->keylen >= 3 && e->keylen <= c->len && memcmp(fs_lexicon_key(c->lex, e), c->w, e->keylen) == 0,
		   "prefix \"%.*s\" reported for \"%.*s\"", (int)e->keylen, fs_lexicon_key(c->lex, e), (int)c->len,
		   c->w);
}

/* Every line's first field: as a trigger before freezing, then looked up. */
static void each_term(fs_lexicon_t *lex, const char *data, size_t len, int add)
{
	const char *p = data, *end = data + len;
	char es[256];

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t llen = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *tab = memchr(p, '\t', llen);
		size_t tlen = tab ? (size_t)(tab - p) : llen;

		if (add && ntrig_added < NTRIG_MAX) {
			uint32_t trig = ntrig_added++;
			fs_err_t err;
			if (trig & 1) {
				trig |= FS_TRIG_CATEGORY;
			}
			es[0] = '\0';
			err = fs_lexicon_add_trigger(lex, p, tlen, trig, es, sizeof(es));
			FUZZ_CHECK(err != FS_ERR_NOMEM, "fs_lexicon_add_trigger(\"%.*s\") reported out of memory: %s",
				   (int)(tlen > 200 ? 200 : tlen), p, es);
			FUZZ_CHECK(err == FS_OK || (err == FS_ERR_PARSE && es[0]), "fs_lexicon_add_trigger: %s: %s",
				   fs_err2str(err), es);
		} else if (!add) {
			int ntoks = make_key(p, tlen);
			if (ntoks > 0) {
				uint64_t h = fs_hash_update(FS_HASH_INIT, key.p, key.len);
				const fs_lexent_t *e = fs_lexicon_get(lex, h, key.p, key.len);
				if (e) {
					check_entry(lex, e, key.p, key.len, ntoks);
				}
			}
			if (ntoks >= 0) {
				size_t k;
				/* make_key() left the term's tokens in `text` */
				for (k = 0; k < text.ntok; k++) {
					const fs_token_t *tok = &text.tok[k];
					prefix_ctx_t c = {lex, fs_tok_ptr(&text, tok), fs_tok_len(tok)};
					if (tok->kind == FS_TOK_WORD) {
						fs_lexicon_prefixes(lex, c.w, c.len, on_prefix, &c);
					}
				}
			}
		}
		p = nl ? nl + 1 : end;
	}
}

static void run(const char *data, size_t len, int mode)
{
	static const struct {
		fs_lexfmt_t fmt;
		const char *name;
	} files[] = {{FS_LEXFMT_NATIVE, "native.tsv"}, {FS_LEXFMT_VADER, "vader.tsv"}, {FS_LEXFMT_AFINN, "afinn.tsv"}};
	sink_t sink = {0};
	fs_diag_t diag = {on_diag, &sink, mode == 2, 0, 0};
	fs_diag_t *d = mode ? &diag : NULL;
	fs_lexicon_t *lex = fs_lexicon_new();
	char errstr[1024];
	size_t i;
	fs_err_t err;

	FUZZ_CHECK(lex != NULL, "fs_lexicon_new failed");
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		unsigned before = diag.nerrors;
		errstr[0] = '\0';
		err = fs_lexicon_load(lex, files[i].name, data, len, files[i].fmt, d, errstr, sizeof(errstr));
		check_load(err, "fs_lexicon_load", files[i].name, errstr, d, before);
	}
	{
		unsigned before = diag.nerrors;
		errstr[0] = '\0';
		err = fs_lexicon_load_modifiers(lex, "modifiers.tsv", data, len, d, errstr, sizeof(errstr));
		check_load(err, "fs_lexicon_load_modifiers", "modifiers.tsv", errstr, d, before);
	}
	ntrig_added = 0;
	each_term(lex, data, len, 1);
	err = fs_lexicon_freeze(lex);
	FUZZ_CHECK(err == FS_OK, "fs_lexicon_freeze: %s", fs_err2str(err));
	FUZZ_CHECK(fs_lexicon_max_phrase(lex) >= 1 && fs_lexicon_max_phrase(lex) <= 8, "max_phrase %u",
		   fs_lexicon_max_phrase(lex));
	each_term(lex, data, len, 0);
	if (d) {
		FUZZ_CHECK(sink.nmsg == diag.nerrors + diag.nwarnings, "%u messages for %u errors and %u warnings",
			   sink.nmsg, diag.nerrors, diag.nwarnings);
	}
	fs_lexicon_destroy(lex);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fs_text_init(&text);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int mode;

	for (mode = 0; mode < 3; mode++) {
		run((const char *)data, size, mode);
	}
	return 0;
}
