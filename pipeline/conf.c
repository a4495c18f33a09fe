/*
 * conf: line reader for sectioned key = value files with line numbers.
 */
#include <stdlib.h>
#include <string.h>

#include "feedsense/conf.h"

static void trim(const char **s, size_t *len)
{
	while (*len && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t' || (*s)[*len - 1] == '\r')) {
		(*len)--;
	}
}

fs_err_t fs_conf_parse(const char *name, const char *data, size_t len, fs_conf_fn fn, void *opaque, char *errstr,
		       size_t errstr_size)
{
	const char *p = data, *end = data + len;
	char *section = NULL, *buf = NULL;
	size_t bufcap = 0;
	unsigned lineno = 0;
	fs_err_t err = FS_OK;

	section = strdup("");
	if (!section) {
		return fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "%s: out of memory", name);
	}
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *line = p, *eq;
		size_t llen = nl ? (size_t)(nl - p) : (size_t)(end - p);

		p = nl ? nl + 1 : end;
		lineno++;
		if (memchr(line, '\0', llen)) {
			err = fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "%s:%u: NUL byte in line", name, lineno);
			break;
		}
		trim(&line, &llen);
		if (!llen || line[0] == '#' || line[0] == ';') {
			continue;
		}
		if (llen + 2 > bufcap) {
			char *nb = realloc(buf, llen + 2);
			if (!nb) {
				err = fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "%s: out of memory", name);
				break;
			}
			buf = nb;
			bufcap = llen + 2;
		}
		if (line[0] == '[') {
			const char *s = line + 1;
			size_t slen;
			if (line[llen - 1] != ']') {
				err = fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "%s:%u: section header lacks ']'",
						name, lineno);
				break;
			}
			slen = llen - 2;
			trim(&s, &slen);
			if (!slen) {
				err = fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "%s:%u: empty section name", name,
						lineno);
				break;
			}
			free(section);
			section = strndup(s, slen);
			if (!section) {
				err = fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "%s: out of memory", name);
				break;
			}
			err = fn(opaque, section, NULL, NULL, lineno, errstr, errstr_size);
			if (err != FS_OK) {
				break;
			}
			continue;
		}
		eq = memchr(line, '=', llen);
		if (!eq) {
			err = fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "%s:%u: expected key = value", name, lineno);
			break;
		}
		{
			const char *k = line, *v = eq + 1;
			size_t klen = (size_t)(eq - line), vlen = llen - klen - 1;
			trim(&k, &klen);
			trim(&v, &vlen);
			if (!klen) {
				err = fs_seterr(errstr, errstr_size, FS_ERR_PARSE, "%s:%u: missing key before '='",
						name, lineno);
				break;
			}
			memcpy(buf, k, klen);
			buf[klen] = '\0';
			{
				char *val = strndup(v, vlen);
				if (!val) {
					err = fs_seterr(errstr, errstr_size, FS_ERR_NOMEM, "%s: out of memory", name);
					break;
				}
				err = fn(opaque, section, buf, val, lineno, errstr, errstr_size);
				free(val);
			}
			if (err != FS_OK) {
				break;
			}
		}
	}
	free(section);
	free(buf);
	return err;
}
