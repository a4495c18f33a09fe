/*
 * text: UTF-8 validation, normalisation and tokenisation.
 *
 * Normalisation is one pass over the input that writes the normalised bytes
 * and, for every byte written, the span of the original bytes it came from,
 * so anything found in the normalised text (a token, a regex match) can be
 * reported with offsets into the caller's text. Tokenisation is a second pass
 * over the normalised bytes only.
 */
#include <stdlib.h>
#include <string.h>

#include "feedsense/text.h"

void fs_text_init(fs_text_t *text)
{
	memset(text, 0, sizeof(*text));
}

void fs_text_free(fs_text_t *text)
{
	free(text->norm);
	free(text->map);
	free(text->tok);
	free(text->elong);
	fs_text_init(text);
}

/*
 * Decode one UTF-8 sequence. Returns its length (1-4), or 0 when the bytes
 * are not a valid, shortest-form encoding of a Unicode scalar value.
 */
static int u8dec(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char c = s[0];
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c < 0xC2) {
		return 0; /* continuation byte or overlong 2-byte lead */
	}
	if (c < 0xE0) {
		if (len < 2 || (s[1] & 0xC0) != 0x80) {
			return 0;
		}
		*cp = ((uint32_t)(c & 0x1F) << 6) | (s[1] & 0x3F);
		return 2;
	}
	if (c < 0xF0) {
		if (len < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) {
			return 0;
		}
		v = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
		if (v < 0x800 || (v >= 0xD800 && v <= 0xDFFF)) {
			return 0;
		}
		*cp = v;
		return 3;
	}
	if (c < 0xF5) {
		if (len < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) {
			return 0;
		}
		v = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) | ((uint32_t)(s[2] & 0x3F) << 6) |
		    (s[3] & 0x3F);
		if (v < 0x10000 || v > 0x10FFFF) {
			return 0;
		}
		*cp = v;
		return 4;
	}
	return 0;
}

int fs_utf8_valid(const char *s, size_t len, size_t *errpos)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	uint32_t cp;

	while (i < len) {
		int n;
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		n = u8dec(u + i, len - i, &cp);
		if (!n) {
			if (errpos) {
				*errpos = i;
			}
			return 0;
		}
		i += (size_t)n;
	}
	return 1;
}

static int u8enc(uint32_t cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xC0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xE0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

static int is_emoji_cp(uint32_t cp)
{
	return (cp >= 0x1F000 && cp <= 0x1FAFF) || (cp >= 0x2600 && cp <= 0x27BF) || (cp >= 0x2300 && cp <= 0x23FF) ||
	       (cp >= 0x2B00 && cp <= 0x2BFF) || cp == 0x3030 || cp == 0x303D || cp == 0x3297 || cp == 0x3299 ||
	       cp == 0x2122 || cp == 0x2139 || (cp >= 0x2194 && cp <= 0x21AA);
}

/* Non-ASCII code points that are neither letters nor emoji: skipped. */
static int is_symbol_cp(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0xBF) || cp == 0xD7 || cp == 0xF7 || (cp >= 0x2000 && cp <= 0x2BFF) ||
	       (cp >= 0x3000 && cp <= 0x303F) || (cp >= 0xE000 && cp <= 0xF8FF) || (cp >= 0xFE00 && cp <= 0xFE0F) ||
	       cp == 0xFEFF || (cp >= 0xFFF0 && cp <= 0xFFFF);
}

/* ASCII classes: 1 letter or digit, 2 word character (letter, digit, '_') */
static const unsigned char ascii_class[256] = {
    ['0'] = 3, ['1'] = 3, ['2'] = 3, ['3'] = 3, ['4'] = 3, ['5'] = 3, ['6'] = 3, ['7'] = 3, ['8'] = 3,
    ['9'] = 3, ['a'] = 3, ['b'] = 3, ['c'] = 3, ['d'] = 3, ['e'] = 3, ['f'] = 3, ['g'] = 3, ['h'] = 3,
    ['i'] = 3, ['j'] = 3, ['k'] = 3, ['l'] = 3, ['m'] = 3, ['n'] = 3, ['o'] = 3, ['p'] = 3, ['q'] = 3,
    ['r'] = 3, ['s'] = 3, ['t'] = 3, ['u'] = 3, ['v'] = 3, ['w'] = 3, ['x'] = 3, ['y'] = 3, ['z'] = 3,
    ['A'] = 3, ['B'] = 3, ['C'] = 3, ['D'] = 3, ['E'] = 3, ['F'] = 3, ['G'] = 3, ['H'] = 3, ['I'] = 3,
    ['J'] = 3, ['K'] = 3, ['L'] = 3, ['M'] = 3, ['N'] = 3, ['O'] = 3, ['P'] = 3, ['Q'] = 3, ['R'] = 3,
    ['S'] = 3, ['T'] = 3, ['U'] = 3, ['V'] = 3, ['W'] = 3, ['X'] = 3, ['Y'] = 3, ['Z'] = 3, ['_'] = 2,
};

/* ------------------------------------------------------------------ */
/* normalisation                                                       */

typedef struct norm_ctx {
	fs_text_t *t;
	size_t n;          /* bytes written */
	int pending_space; /* 0 none, 1 space, 2 newline */
	uint32_t ws_start; /* original offset where the pending whitespace began */
} norm_ctx_t;

static fs_err_t grow_norm(fs_text_t *t, size_t need)
{
	size_t cap;
	char *norm;
	uint32_t *map;

	if (need <= t->norm_cap) {
		return FS_OK;
	}
	cap = t->norm_cap ? t->norm_cap : 512;
	while (cap < need) {
		cap *= 2;
	}
	norm = realloc(t->norm, cap);
	if (!norm) {
		return FS_ERR_NOMEM;
	}
	t->norm = norm;
	map = realloc(t->map, cap * sizeof(*map));
	if (!map) {
		return FS_ERR_NOMEM;
	}
	t->map = map;
	t->norm_cap = cap;
	return FS_OK;
}

static fs_err_t push_elong(fs_text_t *t, uint32_t pos)
{
	if (t->nelong && t->elong[t->nelong - 1] == pos) {
		return FS_OK;
	}
	if (t->nelong == t->elong_cap) {
		size_t cap = t->elong_cap ? t->elong_cap * 2 : 16;
		uint32_t *e = realloc(t->elong, cap * sizeof(*e));
		if (!e) {
			return FS_ERR_NOMEM;
		}
		t->elong = e;
		t->elong_cap = cap;
	}
	t->elong[t->nelong++] = pos;
	return FS_OK;
}

static inline void put_byte(norm_ctx_t *c, char b, uint32_t os)
{
	fs_text_t *t = c->t;
	t->norm[c->n] = b;
	t->map[c->n] = os;
	c->n++;
}

/* The collapsed whitespace maps to where the run began, so that the end of
 * the token before it (the map of the next byte) excludes the whitespace. */
static inline void flush_space(norm_ctx_t *c)
{
	if (c->pending_space) {
		if (c->n) {
			put_byte(c, c->pending_space == 2 ? '\n' : ' ', c->ws_start);
		}
		c->pending_space = 0;
	}
}

static inline void pend_space(norm_ctx_t *c, int kind, uint32_t os)
{
	if (!c->pending_space) {
		c->ws_start = os;
	}
	if (kind > c->pending_space) {
		c->pending_space = kind;
	}
}

/* Emit a (possibly decoded) code point with its original span. */
static fs_err_t emit_cp(norm_ctx_t *c, uint32_t cp, uint32_t os)
{
	char enc[4];
	int n, k;

	if (cp < 0x80) {
		if (cp == '\n' || cp == '\r' || cp == '\v' || cp == '\f') {
			pend_space(c, 2, os);
			return FS_OK;
		}
		if (cp <= 0x20 || cp == 0x7F) {
			pend_space(c, 1, os);
			return FS_OK;
		}
		flush_space(c);
		if (cp >= 'A' && cp <= 'Z') {
			cp += 32;
		}
		/* cut runs of 3+ identical letters to 2 ("sooooo" -> "soo") */
		if (cp >= 'a' && cp <= 'z' && c->n >= 2 && c->t->norm[c->n - 1] == (char)cp &&
		    c->t->norm[c->n - 2] == (char)cp) {
			return push_elong(c->t, (uint32_t)c->n - 1);
		}
		put_byte(c, (char)cp, os);
		return FS_OK;
	}
	switch (cp) {
	case 0x2018:
	case 0x2019:
	case 0x201B:
	case 0x02BC:
	case 0x2032:
	case 0x00B4: return emit_cp(c, '\'', os);
	case 0x201C:
	case 0x201D:
	case 0x201E:
	case 0x00AB:
	case 0x00BB: return emit_cp(c, '"', os);
	case 0x2010:
	case 0x2011:
	case 0x2012:
	case 0x2013:
	case 0x2014:
	case 0x2212: return emit_cp(c, '-', os);
	case 0x2026:
		flush_space(c);
		put_byte(c, '.', os);
		put_byte(c, '.', os);
		put_byte(c, '.', os);
		return FS_OK;
	case 0x2028:
	case 0x2029:
	case 0x0085: pend_space(c, 2, os); return FS_OK;
	case 0x00A0:
	case 0x202F:
	case 0x205F:
	case 0x3000:
	case 0x1680: return emit_cp(c, ' ', os);
	case 0xFE0E:
	case 0xFE0F:
	case 0x200B:
	case 0xFEFF:
	case 0x200C:
	case 0x2060: return FS_OK; /* presentation selectors and zero-width marks carry nothing */
	default: break;
	}
	if (cp >= 0x2000 && cp <= 0x200A) {
		return emit_cp(c, ' ', os);
	}
	if (cp >= 0x1F3FB && cp <= 0x1F3FF) {
		return FS_OK; /* skin tone modifiers */
	}
	if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) {
		cp += 0x20; /* Latin-1 capitals */
	} else if (cp >= 0x391 && cp <= 0x3A9) {
		cp += 0x20; /* Greek capitals */
	} else if (cp >= 0x410 && cp <= 0x42F) {
		cp += 0x20; /* Cyrillic capitals */
	}
	flush_space(c);
	n = u8enc(cp, enc);
	for (k = 0; k < n; k++) {
		put_byte(c, enc[k], os);
	}
	return FS_OK;
}

/* Try to decode an HTML entity at s[0] == '&'. Returns bytes consumed, 0 if none. */
static size_t html_entity(const char *s, size_t len, uint32_t *cp)
{
	static const struct {
		const char *name;
		uint32_t cp;
	} named[] = {
	    {"amp;", '&'},       {"lt;", '<'},       {"gt;", '>'},       {"quot;", '"'},     {"apos;", '\''},
	    {"nbsp;", 0xA0},     {"rsquo;", 0x2019}, {"lsquo;", 0x2018}, {"ldquo;", 0x201C}, {"rdquo;", 0x201D},
	    {"hellip;", 0x2026}, {"mdash;", 0x2014}, {"ndash;", 0x2013},
	};
	size_t i;

	if (len < 3) {
		return 0;
	}
	if (s[1] == '#') {
		uint32_t v = 0;
		int hex = (len > 2 && (s[2] == 'x' || s[2] == 'X'));
		size_t j = hex ? 3 : 2, digits = 0;
		for (; j < len && digits < 7; j++, digits++) {
			char ch = s[j];
			if (ch >= '0' && ch <= '9') {
				v = v * (hex ? 16 : 10) + (uint32_t)(ch - '0');
			} else if (hex && ((ch | 32) >= 'a' && (ch | 32) <= 'f')) {
				v = v * 16 + (uint32_t)((ch | 32) - 'a' + 10);
			} else {
				break;
			}
		}
		if (!digits || j >= len || s[j] != ';' || v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
			return 0;
		}
		*cp = v;
		return j + 1;
	}
	for (i = 0; i < sizeof(named) / sizeof(named[0]); i++) {
		size_t nl = strlen(named[i].name);
		if (len - 1 >= nl && memcmp(s + 1, named[i].name, nl) == 0) {
			*cp = named[i].cp;
			return nl + 1;
		}
	}
	return 0;
}

static fs_err_t normalise(fs_text_t *t, const char *s, size_t len, size_t *errpos)
{
	const unsigned char *u = (const unsigned char *)s;
	norm_ctx_t c = {t, 0, 0, 0};
	size_t i = 0;
	fs_err_t err;

	/* "…" expands 3 bytes to 3, nothing expands more than its source */
	if ((err = grow_norm(t, len + 2)) != FS_OK) {
		return err;
	}
	t->nelong = 0;
	t->caps_pairs = 0;
	while (i < len) {
		unsigned char b = u[i];
		uint32_t cp;
		size_t n;

		if (ascii_class[b] & 1 && !(b >= 'A' && b <= 'Z')) {
			/* a run of lower-case letters and digits, the bulk of any text */
			char *o, *o0;
			uint32_t *m;
			if (c.pending_space) {
				flush_space(&c);
			}
			o0 = o = t->norm + c.n;
			m = t->map + c.n;
			do {
				if (b >= 'a' && o - t->norm >= 2 && o[-1] == (char)b && o[-2] == (char)b) {
					if ((err = push_elong(t, (uint32_t)(o - t->norm) - 1)) != FS_OK) {
						return err;
					}
				} else {
					*o++ = (char)b;
					*m++ = (uint32_t)i;
				}
				b = ++i < len ? u[i] : 0;
			} while (ascii_class[b] & 1 && !(b >= 'A' && b <= 'Z'));
			c.n += (size_t)(o - o0);
			continue;
		}
		if (b < 0x80 && b != '&') {
			/* ASCII fast path */
			if (b > 0x20 && b != 0x7F) {
				if (c.pending_space) {
					flush_space(&c);
				}
				if (b >= 'A' && b <= 'Z') {
					b += 32;
				}
				if (u[i] >= 'A' && u[i] <= 'Z' && i + 1 < len && u[i + 1] >= 'A' && u[i + 1] <= 'Z') {
					t->caps_pairs = 1; /* some word may be written in capitals */
				}
				if (b >= 'a' && b <= 'z' && c.n >= 2 && t->norm[c.n - 1] == (char)b &&
				    t->norm[c.n - 2] == (char)b) {
					if ((err = push_elong(t, (uint32_t)c.n - 1)) != FS_OK) {
						return err;
					}
				} else {
					put_byte(&c, (char)b, (uint32_t)i);
				}
				i++;
				continue;
			}
			if ((err = emit_cp(&c, b, (uint32_t)i)) != FS_OK) {
				return err;
			}
			i++;
			continue;
		}
		if (b == '&') {
			n = html_entity(s + i, len - i, &cp);
			if (!n) {
				cp = '&';
				n = 1;
			}
		} else {
			n = (size_t)u8dec(u + i, len - i, &cp);
			if (!n) {
				if (errpos) {
					*errpos = i;
				}
				return FS_ERR_UTF8;
			}
		}
		if ((err = emit_cp(&c, cp, (uint32_t)i)) != FS_OK) {
			return err;
		}
		i += n;
	}
	t->norm_len = c.n;
	t->norm[c.n] = '\0';
	t->map[c.n] = c.pending_space ? c.ws_start : (uint32_t)len;
	return FS_OK;
}

/* ------------------------------------------------------------------ */
/* tokenisation                                                        */

static inline int is_alnum(unsigned char c)
{
	return ascii_class[c] & 1;
}

static inline int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* Non-ASCII part of word_char_at(). */
static int word_char_slow(const fs_text_t *t, size_t i, int *n)
{
	const unsigned char *u = (const unsigned char *)t->norm;
	uint32_t cp;

	*n = u8dec(u + i, t->norm_len - i, &cp);
	if (!*n) {
		*n = 1;
		return 0;
	}
	return !is_emoji_cp(cp) && !is_symbol_cp(cp);
}

/* Is the code point at norm[i] a letter-like character (ASCII alnum, '_',
 * or a non-ASCII letter)? Sets *n to its byte length. */
static inline int word_char_at(const fs_text_t *t, size_t i, int *n)
{
	unsigned char c = (unsigned char)t->norm[i];

	if (c < 0x80) {
		*n = 1;
		return ascii_class[c] & 2;
	}
	return word_char_slow(t, i, n);
}

static fs_err_t push_tok(fs_text_t *t, uint8_t kind, size_t start, size_t end, uint8_t flags)
{
	fs_token_t *tok;

	if (t->ntok == t->tok_cap) {
		size_t cap = t->tok_cap ? t->tok_cap * 2 : 64;
		fs_token_t *p = realloc(t->tok, cap * sizeof(*p));
		if (!p) {
			return FS_ERR_NOMEM;
		}
		t->tok = p;
		t->tok_cap = cap;
	}
	tok = &t->tok[t->ntok++];
	tok->start = (uint32_t)start;
	tok->end = (uint32_t)end;
	tok->ostart = t->map[start];
	tok->oend = t->map[end];
	tok->kind = kind;
	tok->flags = flags;
	tok->nexcl = 0;
	tok->nquest = 0;
	return FS_OK;
}

/* Length of an ASCII emoticon starting at norm[i], or 0. The caller has
 * checked that norm[i-1] is not a letter or digit. */
static size_t emoticon_at(const char *s, size_t i, size_t len)
{
	static const char eyes[] = ":;=";
	static const char mouths[] = ")(][dpo3/\\|*@$x>s";
	size_t j = i, end;
	char mouth;

	if (strchr(eyes, s[j]) && s[j]) {
		j++;
		if (j < len && (s[j] == '-' || s[j] == '\'' || s[j] == '^' || s[j] == 'o') && j + 1 < len &&
		    strchr(mouths, s[j + 1]) && s[j + 1]) {
			j++;
		}
		if (j >= len || !s[j] || !strchr(mouths, s[j])) {
			return 0;
		}
		mouth = s[j];
		while (j < len && s[j] == mouth) {
			j++;
		}
		end = j;
	} else if (s[j] == '(' || s[j] == ')') {
		/* reversed: "(:", "(-:", "):" */
		mouth = s[j];
		while (j < len && s[j] == mouth) {
			j++;
		}
		if (j < len && s[j] == '-') {
			j++;
		}
		if (j >= len || (s[j] != ':' && s[j] != ';')) {
			return 0;
		}
		end = j + 1;
	} else if (s[j] == '<') {
		j++;
		if (j < len && s[j] == '/') {
			j++;
		}
		if (j >= len || s[j] != '3') {
			return 0;
		}
		while (j < len && s[j] == '3') {
			j++;
		}
		end = j;
	} else if (s[j] == '^' || s[j] == '-' || s[j] == 't' || s[j] == '>' || s[j] == 'o') {
		/* ^^ ^_^ -_- -.- t_t >_< o_o */
		char e = s[j];
		if (j + 1 < len && s[j + 1] == e && e == '^') {
			end = j + 2;
		} else if (j + 2 < len && (s[j + 1] == '_' || s[j + 1] == '.') &&
			   (s[j + 2] == e || (e == '>' && s[j + 2] == '<'))) {
			end = j + 3;
		} else {
			return 0;
		}
	} else {
		return 0;
	}
	/* must be followed by a boundary */
	if (end < len && is_alnum((unsigned char)s[end])) {
		return 0;
	}
	return end - i;
}

static int starts_with(const char *s, size_t len, const char *lit)
{
	size_t n = strlen(lit);
	return len >= n && memcmp(s, lit, n) == 0;
}

static fs_err_t tokenise(fs_text_t *t)
{
	const char *s = t->norm;
	const unsigned char *u = (const unsigned char *)s;
	size_t len = t->norm_len, i = 0, ei = 0;
	size_t no_at_before = 0, no_slash_before = 0; /* look-aheads known to fail before these */
	fs_err_t err;

	t->ntok = 0;
	t->ncaps_words = 0;
	t->nlower_words = 0;
	while (i < len) {
		unsigned char c = u[i];
		int prev_bound = (i == 0 || !is_alnum(u[i - 1]));
		int n;

		if (c == ' ') {
			i++;
			continue;
		}
		if (c == '\n') {
			if (t->ntok && !(t->tok[t->ntok - 1].flags & FS_TOKF_SENT_END)) {
				if ((err = push_tok(t, FS_TOK_PUNCT, i, i + 1, FS_TOKF_SENT_END)) != FS_OK) {
					return err;
				}
			}
			i++;
			continue;
		}
		/* URLs, e-mail addresses and @mentions are neutral: skip them */
		/* "www." arrives as "ww.": runs of three letters were cut to two */
		if (prev_bound && (c == 'h' || c == 'w') &&
		    (starts_with(s + i, len - i, "http://") || starts_with(s + i, len - i, "https://") ||
		     starts_with(s + i, len - i, "ww."))) {
			while (i < len && u[i] != ' ' && u[i] != '\n') {
				i++;
			}
			continue;
		}
		if (c == '@' && i + 1 < len && word_char_at(t, i + 1, &n)) {
			i++;
			while (i < len &&
			       (word_char_at(t, i, &n) || (u[i] == '.' && i + 1 < len && is_alnum(u[i + 1])))) {
				i += (size_t)n;
			}
			continue;
		}
		if (prev_bound && (c == ':' || c == ';' || c == '=' || c == '(' || c == ')' || c == '<' || c == '^' ||
				   c == '-' || c == 'o' || c == 't' || c == '>')) {
			size_t el = emoticon_at(s, i, len);
			if (el) {
				if ((err = push_tok(t, FS_TOK_EMOTICON, i, i + el, 0)) != FS_OK) {
					return err;
				}
				i += el;
				continue;
			}
		}
		if (word_char_at(t, i, &n) ||
		    (c == '#' && i + 1 < len && word_char_at(t, i + 1, &n) && u[i + 1] != '_')) {
			size_t start = i;
			uint8_t flags = 0;

			if (c == '#') {
				flags |= FS_TOKF_HASHTAG;
				start = ++i;
			}
			while (i < len) {
				if (ascii_class[u[i]] & 2) {
					i++; /* the common case, before the general test */
				} else if (word_char_at(t, i, &n)) {
					i += (size_t)n;
				} else if (u[i] == '\'' && i + 1 < len && i > start && is_alnum(u[i + 1])) {
					i++; /* inner apostrophe: don't, i'm */
				} else if ((u[i] == '.' || u[i] == ',') && i > start && is_digit(u[i - 1]) &&
					   i + 1 < len && is_digit(u[i + 1])) {
					i++; /* 4.5, 1,000 */
				} else {
					break;
				}
			}
			/* e-mail address: word@domain.tld, or first.last@domain.tld; a
			 * failed look-ahead is remembered so "a.a.a.a..." stays linear */
			if (i + 1 < len && u[i] == '.' && is_alnum(u[i + 1]) && i >= no_at_before) {
				size_t e = i;
				while (e < len && u[e] != ' ' && u[e] != '\n' && u[e] != '@') {
					e++;
				}
				if (e + 1 < len && u[e] == '@' && is_alnum(u[e + 1])) {
					i = e;
				} else {
					no_at_before = e;
				}
			}
			if (i + 1 < len && u[i] == '@' && is_alnum(u[i + 1])) {
				while (i < len && u[i] != ' ' && u[i] != '\n') {
					i++;
				}
				continue;
			}
			/* domain-like word.tld/... with a slash: treat as a URL */
			if (i + 2 < len && u[i] == '.' && is_alnum(u[i + 1]) && i >= no_slash_before) {
				size_t e = i;
				while (e < len && u[e] != ' ' && u[e] != '\n') {
					if (u[e] == '/') {
						break;
					}
					e++;
				}
				if (e >= len || u[e] != '/') {
					no_slash_before = e;
				}
				if (e < len && u[e] == '/') {
					while (i < len && u[i] != ' ' && u[i] != '\n') {
						i++;
					}
					continue;
				}
			}
			while (ei < t->nelong && t->elong[ei] < start) {
				ei++;
			}
			if (ei < t->nelong && t->elong[ei] < i) {
				flags |= FS_TOKF_ELONG;
			}
			if ((err = push_tok(t, FS_TOK_WORD, start, i, flags)) != FS_OK) {
				return err;
			}
			continue;
		}
		if (c >= 0x80) {
			uint32_t cp;
			n = u8dec(u + i, len - i, &cp);
			if (n && is_emoji_cp(cp)) {
				size_t start = i;
				i += (size_t)n;
				if (cp >= 0x1F1E6 && cp <= 0x1F1FF && i < len) {
					/* regional indicator pair (flag) */
					uint32_t cp2;
					int n2 = u8dec(u + i, len - i, &cp2);
					if (n2 && cp2 >= 0x1F1E6 && cp2 <= 0x1F1FF) {
						i += (size_t)n2;
					}
				}
				for (;;) {
					uint32_t zwj, nxt;
					int n2, n3;
					if (i >= len) {
						break;
					}
					n2 = u8dec(u + i, len - i, &zwj);
					if (n2 && zwj == 0x20E3) {
						i += (size_t)n2; /* keycap */
						continue;
					}
					if (!n2 || zwj != 0x200D || i + (size_t)n2 >= len) {
						break;
					}
					n3 = u8dec(u + i + n2, len - i - (size_t)n2, &nxt);
					if (!n3 || (!is_emoji_cp(nxt) && !(nxt >= 0x2640 && nxt <= 0x2642))) {
						break;
					}
					i += (size_t)n2 + (size_t)n3;
				}
				if ((err = push_tok(t, FS_TOK_EMOJI, start, i, 0)) != FS_OK) {
					return err;
				}
				continue;
			}
			i += n ? (size_t)n : 1; /* other symbols carry nothing */
			continue;
		}
		if (c == '!' || c == '?') {
			size_t start = i;
			unsigned ne = 0, nq = 0;
			while (i < len && (u[i] == '!' || u[i] == '?' || u[i] == '1')) {
				if (u[i] == '1' && (i + 1 >= len || (u[i + 1] != '!' && u[i + 1] != '1'))) {
					break; /* "!!!1" is shouting, "!1 " at the end too, "?1" not */
				}
				if (u[i] == '!' || u[i] == '1') {
					ne++;
				} else {
					nq++;
				}
				i++;
			}
			if ((err = push_tok(t, FS_TOK_PUNCT, start, i, FS_TOKF_SENT_END)) != FS_OK) {
				return err;
			}
			t->tok[t->ntok - 1].nexcl = (uint8_t)(ne > 255 ? 255 : ne);
			t->tok[t->ntok - 1].nquest = (uint8_t)(nq > 255 ? 255 : nq);
			continue;
		}
		if (c == '.') {
			size_t start = i;
			while (i < len && u[i] == '.') {
				i++;
			}
			if ((err = push_tok(t, FS_TOK_PUNCT, start, i, FS_TOKF_SENT_END)) != FS_OK) {
				return err;
			}
			continue;
		}
		if (c == ',' || c == ';' || c == ':' || c == '(' || c == ')') {
			if ((err = push_tok(t, FS_TOK_PUNCT, i, i + 1, FS_TOKF_CLAUSE_END)) != FS_OK) {
				return err;
			}
			i++;
			continue;
		}
		if (c == '-' && i + 1 < len && u[i + 1] == ' ' && i > 0 && u[i - 1] == ' ') {
			/* a spaced dash separates clauses */
			if ((err = push_tok(t, FS_TOK_PUNCT, i, i + 1, FS_TOKF_CLAUSE_END)) != FS_OK) {
				return err;
			}
			i++;
			continue;
		}
		i++; /* other punctuation: quotes, slashes, hyphens, symbols */
	}
	return FS_OK;
}

/* Mark words written in capitals in the original text. */
static void mark_caps(fs_text_t *t, const char *orig)
{
	size_t k;

	for (k = 0; k < t->ntok; k++) {
		fs_token_t *tok = &t->tok[k];
		unsigned upper = 0, lower = 0;
		uint32_t j;

		if (tok->kind != FS_TOK_WORD) {
			continue;
		}
		for (j = tok->ostart; j < tok->oend; j++) {
			unsigned char ch = (unsigned char)orig[j];
			if (ch >= 'A' && ch <= 'Z') {
				upper++;
			} else if (ch >= 'a' && ch <= 'z') {
				lower++;
			}
		}
		if (upper >= 2 && !lower) {
			tok->flags |= FS_TOKF_CAPS;
			t->ncaps_words++;
		} else if (lower) {
			t->nlower_words++;
		}
	}
}

/* Mark the words of short quotations, found on the token boundaries: a quote
 * mark (' or ") right before a word that does not continue another word,
 * closed by the same mark right after a token and before no word, within
 * QUOTE_MAX bytes on the same line. The apostrophe of "don't" lies inside
 * its word and "customers' money" opens nothing. */
#define QUOTE_MAX 80
static void mark_quotes(fs_text_t *t)
{
	const char *u = t->norm;
	fs_token_t *tok = t->tok;
	size_t k = 0, m, j;

	while (k < t->ntok) {
		size_t open = tok[k].start;
		char q = open ? u[open - 1] : 0;
		if (tok[k].kind != FS_TOK_WORD || (q != '\'' && q != '"') ||
		    (k > 0 && tok[k - 1].kind == FS_TOK_WORD && tok[k - 1].end == open - 1)) {
			k++;
			continue;
		}
		for (m = k; m < t->ntok && tok[m].end - open < QUOTE_MAX && u[tok[m].start] != '\n'; m++) {
			if (u[tok[m].end] == q && (m + 1 == t->ntok || tok[m + 1].kind != FS_TOK_WORD ||
						   tok[m + 1].start != tok[m].end + 1)) {
				break;
			}
		}
		if (m == t->ntok || tok[m].end - open >= QUOTE_MAX || u[tok[m].start] == '\n') {
			k++;
			continue;
		}
		for (j = k; j <= m; j++) {
			if (tok[j].kind == FS_TOK_WORD) {
				tok[j].flags |= FS_TOKF_QUOTED;
			}
		}
		k = m + 1;
	}
}

fs_err_t fs_text_process(fs_text_t *text, const char *s, size_t len, size_t *errpos)
{
	fs_err_t err;

	text->ntok = 0;
	text->norm_len = 0;
	if (len > UINT32_MAX - 8) {
		return FS_ERR_TOO_LARGE;
	}
	if ((err = normalise(text, s, len, errpos)) != FS_OK) {
		text->norm_len = 0;
		if (text->norm) {
			text->norm[0] = '\0';
		}
		return err;
	}
	if ((err = tokenise(text)) != FS_OK) {
		text->ntok = 0;
		return err;
	}
	if (text->caps_pairs) {
		mark_caps(text, s); /* only then can a word be written in capitals */
	}
	mark_quotes(text);
	return FS_OK;
}
