/*
 * tag: the issue-category taxonomy (categories.conf). Each category's terms
 * are registered as triggers in the lexicon, so tagging costs nothing beyond
 * the lookups the scorer already does; per-category sentiment is computed
 * by the scorer from the clauses that mention the category.
 */
#ifndef FEEDSENSE_TAG_H
#define FEEDSENSE_TAG_H

#include <stddef.h>
#include <stdint.h>

#include "feedsense/err.h"
#include "feedsense/lexicon.h"

#define FS_TAG_MAX 64 /**< categories per taxonomy */

typedef struct fs_tags fs_tags_t;

/** @brief New empty taxonomy. NULL on allocation failure. */
fs_tags_t *fs_tags_new(void);
/** @brief Free. NULL is a no-op. */
void fs_tags_destroy(fs_tags_t *tags);

/**
 * @brief Load categories.conf contents, registering terms in @p lex.
 * @returns FS_OK or FS_ERR_PARSE with errstr "name:line: reason".
 */
fs_err_t fs_tags_load(fs_tags_t *tags, fs_lexicon_t *lex, const char *name, const char *data, size_t len,
		      fs_diag_t *diag, char *errstr, size_t errstr_size);

/** @brief Number of categories. */
unsigned fs_tags_count(const fs_tags_t *tags);
/** @brief Category id by name, or -1. */
int fs_tags_find(const fs_tags_t *tags, const char *name);
/** @brief Id ("delivery") of category @p id. */
const char *fs_tags_name(const fs_tags_t *tags, unsigned id);
/** @brief Human label ("Delivery and shipping") of category @p id. */
const char *fs_tags_label(const fs_tags_t *tags, unsigned id);

#endif
