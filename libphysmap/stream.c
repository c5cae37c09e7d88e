/*
 * libphysmap/stream.c - Xen's save/migration stream, record by record
 * (<physmap/stream.h>, docs/specs/stream.md)
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "physmap/stream.h"
#include "alloc-internal.h"

#define PAGE 4096u

void pm_stream_buf_dispose(struct pm_stream_buf *b)
{
	free(b->data);
	*b = (struct pm_stream_buf){ 0 };
}

static int put(struct pm_stream_buf *b, const void *p, size_t n)
{
	if (n > SIZE_MAX - b->len)
		return -ENOMEM;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		uint8_t *d;

		while (cap < b->len + n)
			cap *= 2;
		d = pm__realloc(b->data, cap);
		if (!d)
			return -ENOMEM;
		b->data = d;
		b->cap = cap;
	}
	if (p)
		memcpy(b->data + b->len, p, n);
	else
		memset(b->data + b->len, 0, n);
	b->len += n;
	return 0;
}

int pm_stream_put_xl_header(struct pm_stream_buf *b, const char *json)
{
	uint32_t h[4] = { PM_XL_BYTEORDER, PM_XL_MANDATORY_STREAMV2 | (json ? PM_XL_MANDATORY_JSON : 0), 0,
			  json ? (uint32_t)strlen(json) + 1 : 0 };

	return put(b, PM_XL_MAGIC, PM_XL_MAGIC_LEN) ?: put(b, h, sizeof(h)) ?: json ? put(b, json, h[3]) : 0;
}

int pm_stream_put_libxl_header(struct pm_stream_buf *b)
{
	uint64_t ident = htobe64(PM_LIBXL_IDENT);
	uint32_t version = htobe32(PM_LIBXL_VERSION), options = 0;   /* little-endian, not legacy */

	return put(b, &ident, 8) ?: put(b, &version, 4) ?: put(b, &options, 4);
}

int pm_stream_put_libxc_header(struct pm_stream_buf *b, uint32_t type, uint32_t xen_major,
			       uint32_t xen_minor)
{
	uint64_t marker = PM_LIBXC_MARKER;
	uint32_t ident = htobe32(PM_LIBXC_IDENT), version = htobe32(PM_LIBXC_VERSION);
	uint8_t options_and_reserved[8] = { 0 };   /* little-endian; reserved zero */
	struct { uint32_t type; uint16_t page_shift, reserved; uint32_t major, minor; } d = {
		(uint32_t)type, 12, 0, xen_major, xen_minor };

	return put(b, &marker, 8) ?: put(b, &ident, 4) ?: put(b, &version, 4) ?:
	       put(b, options_and_reserved, 8) ?: put(b, &d, sizeof(d));
}

int pm_stream_put_record(struct pm_stream_buf *b, uint32_t type, const void *head, size_t head_len,
			 const void *body, size_t len)
{
	uint32_t h[2] = { type, (uint32_t)(head_len + len) };

	if (head_len > PM_STREAM_RECORD_MAX || len > PM_STREAM_RECORD_MAX - head_len)
		return -E2BIG;
	return put(b, h, sizeof(h)) ?: put(b, head, head_len) ?: put(b, body, len) ?:
	       put(b, NULL, (8 - (head_len + len) % 8) % 8);
}

int pm_stream_put_page_data(struct pm_stream_buf *b, const uint64_t *pfns, uint32_t count, const void *pages)
{
	uint32_t head[2] = { count, 0 }, with_data = 0;
	uint32_t h[2];
	size_t len;

	if (!count || count > PM_PAGE_DATA_MAX)
		return -EINVAL;
	for (uint32_t i = 0; i < count; i++) {
		uint64_t t = pfns[i] >> PM_PAGE_TYPE_SHIFT;

		if ((pfns[i] & ~(0xfull << PM_PAGE_TYPE_SHIFT)) > PM_PAGE_PFN_MASK ||
		    (t != PM_PAGE_NOTAB && t != PM_PAGE_BROKEN && t != PM_PAGE_XALLOC && t != PM_PAGE_XTAB))
			return -EINVAL;
		with_data += t == PM_PAGE_NOTAB;
	}
	len = sizeof(head) + (size_t)count * 8 + (size_t)with_data * PAGE;
	h[0] = PM_LIBXC_PAGE_DATA;
	h[1] = (uint32_t)len;
	return put(b, h, sizeof(h)) ?: put(b, head, sizeof(head)) ?: put(b, pfns, (size_t)count * 8) ?:
	       put(b, pages, (size_t)with_data * PAGE);
}

/* ---- reading ---- */

static int take(struct pm_stream_cursor *c, void *out, size_t n)
{
	if (c->len - c->pos < n)
		return -ENODATA;
	memcpy(out, c->data + c->pos, n);
	c->pos += n;
	return 0;
}

int pm_stream_get_xl_header(struct pm_stream_cursor *c, const char **json)
{
	char magic[PM_XL_MAGIC_LEN];
	uint32_t h[4];
	int rc = take(c, magic, sizeof(magic)) ?: take(c, h, sizeof(h));

	*json = NULL;
	if (rc)
		return rc;
	if (memcmp(magic, PM_XL_MAGIC, PM_XL_MAGIC_LEN) || h[0] != PM_XL_BYTEORDER ||
	    !(h[1] & PM_XL_MANDATORY_STREAMV2) || (h[1] & ~(PM_XL_MANDATORY_JSON | PM_XL_MANDATORY_STREAMV2)) || h[2])
		return -EINVAL;
	if (c->len - c->pos < h[3])
		return -ENODATA;
	if (h[3]) {
		if (c->data[c->pos + h[3] - 1] != 0)
			return -EINVAL;
		*json = (const char *)c->data + c->pos;
	}
	c->pos += h[3];
	return 0;
}

int pm_stream_get_libxl_header(struct pm_stream_cursor *c)
{
	uint64_t ident;
	uint32_t version, options;
	int rc = take(c, &ident, 8) ?: take(c, &version, 4) ?: take(c, &options, 4);

	if (rc)
		return rc;
	return be64toh(ident) == PM_LIBXL_IDENT && be32toh(version) == PM_LIBXL_VERSION && options == 0 ? 0
												   : -EINVAL;
}

int pm_stream_get_libxc_header(struct pm_stream_cursor *c, uint32_t *type)
{
	uint64_t marker;
	uint32_t ident, version;
	uint8_t rest[8];
	struct { uint32_t type; uint16_t page_shift, reserved; uint32_t major, minor; } d;
	int rc = take(c, &marker, 8) ?: take(c, &ident, 4) ?: take(c, &version, 4) ?: take(c, rest, 8) ?:
		 take(c, &d, sizeof(d));

	if (rc)
		return rc;
	if (marker != PM_LIBXC_MARKER || be32toh(ident) != PM_LIBXC_IDENT || be32toh(version) < 2 ||
	    be32toh(version) > PM_LIBXC_VERSION)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(rest); i++)
		if (rest[i])
			return -EINVAL;   /* big-endian, or reserved bits */
	if (d.page_shift != 12 || d.reserved ||
	    (d.type != PM_LIBXC_DOM_X86_HVM && d.type != PM_LIBXC_DOM_PHYSMAP_ARM64))
		return -EINVAL;
	*type = d.type;
	return 0;
}

int pm_stream_get_record(struct pm_stream_cursor *c, struct pm_stream_record *r)
{
	uint32_t h[2];
	size_t padded;
	int rc = take(c, h, sizeof(h));

	if (rc)
		return rc;
	if (h[1] > PM_STREAM_RECORD_MAX)
		return -E2BIG;
	padded = ((size_t)h[1] + 7) & ~(size_t)7;
	if (c->len - c->pos < padded)
		return -ENODATA;
	for (size_t i = h[1]; i < padded; i++)
		if (c->data[c->pos + i])
			return -EINVAL;
	*r = (struct pm_stream_record){ h[0], h[1], c->data + c->pos };
	c->pos += padded;
	return 0;
}

uint64_t pm_stream_page_pfn(const struct pm_stream_record *r, uint32_t i)
{
	uint64_t pfn;

	memcpy(&pfn, r->body + 8 + (size_t)i * 8, 8);
	return pfn;
}

int pm_stream_page_data(const struct pm_stream_record *r, uint32_t *count, const uint8_t **pages)
{
	uint32_t head[2];
	uint64_t with_data = 0;

	if (r->type != PM_LIBXC_PAGE_DATA || r->len < sizeof(head))
		return -EINVAL;
	memcpy(head, r->body, sizeof(head));
	if (!head[0] || head[1] || head[0] > PM_PAGE_DATA_MAX || (r->len - sizeof(head)) / 8 < head[0])
		return -EINVAL;
	for (uint32_t i = 0; i < head[0]; i++) {
		uint64_t pfn = pm_stream_page_pfn(r, i), t = pfn >> PM_PAGE_TYPE_SHIFT;

		if ((pfn & ~(0xfull << PM_PAGE_TYPE_SHIFT)) > PM_PAGE_PFN_MASK ||
		    (t != PM_PAGE_NOTAB && t != PM_PAGE_BROKEN && t != PM_PAGE_XALLOC && t != PM_PAGE_XTAB))
			return -EINVAL;
		with_data += t == PM_PAGE_NOTAB;
	}
	if (r->len != sizeof(head) + (uint64_t)head[0] * 8 + with_data * PAGE)
		return -EINVAL;
	*count = head[0];
	*pages = r->body + sizeof(head) + (size_t)head[0] * 8;
	return 0;
}
