/*
 * event: JSON decoding with jansson and the hand-written scored-event writer.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "feedsense/event.h"
#include "feedsense/text.h"

const fs_event_fields_t fs_event_fields_default = {
    "text", "id", "timestamp", "channel", "customer_id", "locale", "rating",
};

static const char *const meta_names[FS_EVENT_META_N] = {"timestamp", "channel", "customer_id", "locale", "rating"};

void fs_event_in_clear(fs_event_in_t *in)
{
	if (in->root) {
		json_decref((json_t *)in->root);
	}
	in->root = NULL;
	in->text = NULL;
	in->text_len = 0;
	in->id = NULL;
	in->id_len = 0;
}

fs_err_t fs_event_decode_plain(const char *data, size_t len, fs_event_in_t *in, size_t *errpos, char *errstr,
			       size_t errstr_size)
{
	size_t pos = 0;

	memset(in, 0, sizeof(*in));
	if (!fs_utf8_valid(data, len, &pos)) {
		*errpos = pos;
		return fs_seterr(errstr, errstr_size, FS_ERR_UTF8, "invalid UTF-8 at byte %zu", pos);
	}
	in->text = data;
	in->text_len = len;
	return FS_OK;
}

fs_err_t fs_event_decode_json(const char *data, size_t len, const char *text_field, fs_event_in_t *in, size_t *errpos,
			      char *errstr, size_t errstr_size)
{
	fs_event_fields_t f = fs_event_fields_default;
	fs_err_t err;

	f.text = text_field;
	err = fs_event_decode_json_fields(data, len, &f, in, errpos, errstr, errstr_size);
	in->fields = NULL; /* f lives on this stack frame */
	return err;
}

fs_err_t fs_event_decode_json_fields(const char *data, size_t len, const fs_event_fields_t *fields, fs_event_in_t *in,
				     size_t *errpos, char *errstr, size_t errstr_size)
{
	const char *text_field = fields->text;
	const char *metaf[FS_EVENT_META_N] = {fields->timestamp, fields->channel, fields->customer, fields->locale,
					      fields->rating};
	json_error_t jerr;
	json_t *root, *text, *id;
	size_t pos = 0, k;

	memset(in, 0, sizeof(*in));
	*errpos = SIZE_MAX;
	if (!fs_utf8_valid(data, len, &pos)) {
		*errpos = pos;
		return fs_seterr(errstr, errstr_size, FS_ERR_UTF8, "invalid UTF-8 at byte %zu", pos);
	}
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!root) {
		*errpos = (size_t)jerr.position;
		return fs_seterr(errstr, errstr_size, FS_ERR_JSON, "invalid JSON at byte %d: %s", jerr.position,
				 jerr.text);
	}
	if (!json_is_object(root)) {
		json_decref(root);
		*errpos = 0;
		return fs_seterr(errstr, errstr_size, FS_ERR_JSON, "expected a JSON object");
	}
	in->root = root;
	text = json_object_get(root, text_field);
	if (!text || json_is_null(text)) {
		fs_event_in_clear(in);
		return fs_seterr(errstr, errstr_size, FS_ERR_NO_TEXT, "field '%s' is missing%s", text_field,
				 text ? " (null)" : "");
	}
	if (!json_is_string(text)) {
		fs_event_in_clear(in);
		return fs_seterr(errstr, errstr_size, FS_ERR_TEXT_TYPE, "field '%s' is not a string", text_field);
	}
	in->text = json_string_value(text);
	in->text_len = json_string_length(text);
	in->fields = fields;
	for (k = 0; k < FS_EVENT_META_N; k++) {
		in->meta[k] = metaf[k] && *metaf[k] ? json_object_get(root, metaf[k]) : NULL;
	}
	id = json_object_get(root, fields->id && *fields->id ? fields->id : "id");
	if (json_is_string(id)) {
		in->id = json_string_value(id);
		in->id_len = json_string_length(id);
	} else if (json_is_integer(id)) {
		snprintf(in->idbuf, sizeof(in->idbuf), "%" JSON_INTEGER_FORMAT, json_integer_value(id));
		in->id = in->idbuf;
		in->id_len = strlen(in->idbuf);
	}
	return FS_OK;
}

static void write_sentiment(fs_buf_t *out, fs_label_t label, double compound)
{
	fs_buf_puts(out, "{\"label\":\"");
	fs_buf_puts(out, fs_label_name(label));
	fs_buf_puts(out, "\",\"compound\":");
	fs_buf_json_num(out, compound);
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
	fs_buf_append((fs_buf_t *)data, buffer, size);
	return 0;
}

void fs_event_write_scored(fs_buf_t *out, const fs_engine_t *engine, const fs_result_t *res, const fs_event_in_t *in,
			   const char *text_field, const fs_event_source_t *src)
{
	const fs_tags_t *tags = fs_engine_tags(engine);
	const fs_rules_t *rules = fs_engine_rules(engine);
	static const char *const kinds[] = {"term", "emoji", "rule", "exclamation", "question_marks"};
	size_t k;
	unsigned b;
	int first;

	fs_buf_puts(out, "{\"schema\":\"" FS_EVENT_SCHEMA "\",\"id\":");
	if (in->id) {
		fs_buf_json_str(out, in->id, in->id_len);
	} else {
		fs_buf_puts(out, "null");
	}
	fs_buf_puts(out, ",\"text\":");
	fs_buf_json_str(out, in->text, in->text_len);
	fs_buf_puts(out, ",\"sentiment\":");
	write_sentiment(out, res->label, res->compound);
	fs_buf_puts(out, ",\"pos\":");
	fs_buf_json_num(out, res->pos);
	fs_buf_puts(out, ",\"neu\":");
	fs_buf_json_num(out, res->neu);
	fs_buf_puts(out, ",\"neg\":");
	fs_buf_json_num(out, res->neg);
	fs_buf_puts(out, "},\"categories\":[");
	for (k = 0; k < res->ncats; k++) {
		const fs_cat_result_t *c = &res->cats[k];
		unsigned m;
		if (k) {
			fs_buf_putc(out, ',');
		}
		fs_buf_puts(out, "{\"name\":\"");
		fs_buf_puts(out, fs_tags_name(tags, c->id));
		fs_buf_puts(out, "\",\"sentiment\":");
		write_sentiment(out, c->label, c->compound);
		fs_buf_puts(out, "},\"matched\":[");
		for (m = 0; m < c->nmatched; m++) {
			if (m) {
				fs_buf_putc(out, ',');
			}
			fs_buf_json_str(out, c->matched[m], c->matched_len[m]);
		}
		fs_buf_puts(out, "]}");
	}
	fs_buf_puts(out, "],\"flags\":[");
	for (b = 0, first = 1; b < FS_FLAGS_MAX; b++) {
		if (res->flags & (1u << b)) {
			if (!first) {
				fs_buf_putc(out, ',');
			}
			first = 0;
			fs_buf_putc(out, '"');
			fs_buf_puts(out, fs_rules_flag_name(rules, b));
			fs_buf_putc(out, '"');
		}
	}
	fs_buf_puts(out, "],\"explain\":[");
	for (k = 0, first = 1; k < res->nexplain; k++) {
		const fs_explain_t *x = &res->explain[k];
		if (!first) {
			fs_buf_putc(out, ',');
		}
		first = 0;
		fs_buf_puts(out, "{\"type\":\"");
		fs_buf_puts(out, kinds[x->kind]);
		fs_buf_puts(out, x->kind == FS_X_RULE ? "\",\"rule\":" : "\",\"term\":");
		fs_buf_json_str(out, x->what, x->what_len);
		fs_buf_puts(out, ",\"text\":");
		fs_buf_json_str(out, in->text + x->start, x->end - x->start);
		fs_buf_puts(out, ",\"start\":");
		fs_buf_u64(out, x->start);
		fs_buf_puts(out, ",\"end\":");
		fs_buf_u64(out, x->end);
		fs_buf_puts(out, ",\"valence\":");
		fs_buf_json_num(out, x->valence);
		fs_buf_puts(out, ",\"score\":");
		fs_buf_json_num(out, x->score);
		if (x->mods) {
			fs_buf_puts(out, ",\"modifiers\":[");
			for (b = 0, first = 1; fs_xm_names[b]; b++) {
				if (x->mods & (1u << b)) {
					if (!first) {
						fs_buf_putc(out, ',');
					}
					first = 0;
					fs_buf_putc(out, '"');
					fs_buf_puts(out, fs_xm_names[b]);
					fs_buf_putc(out, '"');
				}
			}
			fs_buf_putc(out, ']');
		}
		fs_buf_putc(out, '}');
		first = 0;
	}
	fs_buf_puts(out, "],\"engine\":{\"version\":\"");
	fs_buf_puts(out, fs_engine_version(engine));
	fs_buf_puts(out, "\",\"length_factor\":");
	fs_buf_json_num(out, res->length_factor);
	fs_buf_puts(out, ",\"rule_limit_hits\":");
	fs_buf_u64(out, res->limit_hits);
	fs_buf_putc(out, '}');
	if (in->root) {
		json_t *root = (json_t *)in->root;
		const char *key, *id_field = in->fields && in->fields->id ? in->fields->id : "id";
		json_t *val;
		int any = 0;
		for (k = 0; k < FS_EVENT_META_N; k++) {
			if (!in->meta[k]) {
				continue;
			}
			fs_buf_puts(out, any ? ",\"" : ",\"meta\":{\"");
			any = 1;
			fs_buf_puts(out, meta_names[k]);
			fs_buf_puts(out, "\":");
			json_dump_callback((json_t *)in->meta[k], dump_cb, out, JSON_COMPACT | JSON_ENCODE_ANY);
		}
		if (any) {
			fs_buf_putc(out, '}');
		}
		any = 0;
		json_object_foreach(root, key, val)
		{
			if (!strcmp(key, text_field) || !strcmp(key, id_field)) {
				continue;
			}
			fs_buf_puts(out, any ? "," : ",\"input\":{");
			any = 1;
			fs_buf_json_str(out, key, strlen(key));
			fs_buf_putc(out, ':');
			json_dump_callback(val, dump_cb, out, JSON_COMPACT | JSON_ENCODE_ANY);
		}
		if (any) {
			fs_buf_putc(out, '}');
		}
	}
	if (src) {
		fs_buf_puts(out, ",\"source\":{\"topic\":");
		fs_buf_json_str(out, src->topic ? src->topic : "", src->topic ? strlen(src->topic) : 0);
		fs_buf_puts(out, ",\"partition\":");
		fs_buf_i64(out, src->partition);
		fs_buf_puts(out, ",\"offset\":");
		fs_buf_i64(out, src->offset);
		fs_buf_puts(out, ",\"timestamp\":");
		if (src->timestamp_ms >= 0) {
			fs_buf_i64(out, src->timestamp_ms);
		} else {
			fs_buf_puts(out, "null");
		}
		fs_buf_putc(out, '}');
	}
	fs_buf_putc(out, '}');
}
