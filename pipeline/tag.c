/*
 * tag: loading the category taxonomy from categories.conf.
 */
#include <stdlib.h>
#include <string.h>

#include "feedsense/conf.h"
#include "feedsense/tag.h"

typedef struct category {
	char *name;
	char *label;
	unsigned line;
	unsigned nterms;
} category_t;

struct fs_tags {
	category_t cats[FS_TAG_MAX];
	unsigned n;
};

fs_tags_t *fs_tags_new(void)
{
	return calloc(1, sizeof(fs_tags_t));
}

void fs_tags_destroy(fs_tags_t *tags)
{
	unsigned i;

	if (!tags) {
		return;
	}
	for (i = 0; i < tags->n; i++) {
		free(tags->cats[i].name);
		free(tags->cats[i].label);
	}
	free(tags);
}

unsigned fs_tags_count(const fs_tags_t *tags)
{
	return tags->n;
}

int fs_tags_find(const fs_tags_t *tags, const char *name)
{
	unsigned i;
	for (i = 0; i < tags->n; i++) {
		if (strcmp(tags->cats[i].name, name) == 0) {
			return (int)i;
		}
	}
	return -1;
}

const char *fs_tags_name(const fs_tags_t *tags, unsigned id)
{
	return id < tags->n ? tags->cats[id].name : "?";
}

const char *fs_tags_label(const fs_tags_t *tags, unsigned id)
{
	return id < tags->n ? tags->cats[id].label : "?";
}

typedef struct load_ctx {
	fs_tags_t *tags;
	fs_lexicon_t *lex;
	const char *name;
	fs_diag_t *diag;
	int cur; /* current category or -1 */
} load_ctx_t;

static int valid_id(const char *s)
{
	if (!*s) {
		return 0;
	}
	for (; *s; s++) {
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' || *s == '-')) {
			return 0;
		}
	}
	return 1;
}

static fs_err_t problem(load_ctx_t *c, char *errstr, size_t errstr_size, unsigned line, const char *msg,
			const char *arg)
{
	fs_diag_report(c->diag, 1, "%s:%u: %s%s", c->name, line, msg, arg ? arg : "");
	if (c->diag && c->diag->keep_going) {
		return FS_OK;
	}
	return fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "%s:%u: %s%s", c->name, line, msg, arg ? arg : "");
}

static fs_err_t on_line(void *opaque, const char *section, const char *key, const char *value, unsigned line,
			char *errstr, size_t errstr_size)
{
	load_ctx_t *c = opaque;
	fs_tags_t *tags = c->tags;

	if (!key) {
		category_t *cat;
		if (!valid_id(section)) {
			c->cur = -1;
			return problem(c, errstr, errstr_size, line,
				       "category id must be lower-case letters, digits, '_' or '-': ", section);
		}
		if (fs_tags_find(tags, section) >= 0) {
			c->cur = -1;
			return problem(c, errstr, errstr_size, line, "duplicate category ", section);
		}
		if (tags->n == FS_TAG_MAX) {
			return fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "%s:%u: more than %d categories", c->name,
					 line, FS_TAG_MAX);
		}
		cat = &tags->cats[tags->n];
		memset(cat, 0, sizeof(*cat));
		cat->name = strdup(section);
		cat->line = line;
		if (!cat->name) {
			return FS_ERR_NOMEM;
		}
		c->cur = (int)tags->n++;
		return FS_OK;
	}
	if (c->cur < 0) {
		if (!*section) {
			return problem(c, errstr, errstr_size, line, "key outside a [category] section: ", key);
		}
		return FS_OK; /* inside a rejected section (keep-going mode) */
	}
	if (strcmp(key, "label") == 0) {
		category_t *cat = &tags->cats[c->cur];
		free(cat->label);
		cat->label = strdup(value);
		return cat->label ? FS_OK : FS_ERR_NOMEM;
	}
	if (strcmp(key, "terms") == 0) {
		const char *p = value;
		while (*p) {
			const char *comma = strchr(p, ',');
			size_t n = comma ? (size_t)(comma - p) : strlen(p);
			char es[256];
			fs_err_t err;
			const char *q = p;
			size_t m = n;
			while (m && (*q == ' ')) {
				q++;
				m--;
			}
			if (m) {
				err = fs_lexicon_add_trigger(c->lex, q, m, FS_TRIG_CATEGORY | (uint32_t)c->cur, es,
							     sizeof(es));
				if (err == FS_ERR_NOMEM) {
					return err;
				}
				if (err != FS_OK) {
					fs_err_t e2 = problem(c, errstr, errstr_size, line, es, NULL);
					if (e2 != FS_OK) {
						return e2;
					}
				} else {
					tags->cats[c->cur].nterms++;
				}
			}
			p += n;
			if (*p == ',') {
				p++;
			}
		}
		return FS_OK;
	}
	return problem(c, errstr, errstr_size, line, "unknown key (label, terms): ", key);
}

fs_err_t fs_tags_load(fs_tags_t *tags, fs_lexicon_t *lex, const char *name, const char *data, size_t len,
		      fs_diag_t *diag, char *errstr, size_t errstr_size)
{
	load_ctx_t c = {tags, lex, name, diag, -1};
	fs_err_t err = fs_conf_parse(name, data, len, on_line, &c, errstr, errstr_size);
	unsigned i;

	if (err != FS_OK) {
		return err;
	}
	for (i = 0; i < tags->n; i++) {
		category_t *cat = &tags->cats[i];
		if (!cat->label) {
			err = problem(&c, errstr, errstr_size, cat->line, "category has no label: ", cat->name);
			if (err != FS_OK) {
				return err;
			}
			cat->label = strdup(cat->name);
			if (!cat->label) {
				return FS_ERR_NOMEM;
			}
		}
		if (!cat->nterms) {
			fs_diag_report(diag, 0, "%s:%u: category %s has no terms", name, cat->line, cat->name);
		}
	}
	return FS_OK;
}
