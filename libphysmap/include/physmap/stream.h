/*
 * physmap/stream.h - Xen's save/migration stream, as docs/specs/stream.md
 * summarises it (Xen's docs/specs/libxc-migration-stream.pandoc and
 * libxl-migration-stream.pandoc): xl's save-file header, the libxl stream
 * (v2) and the libxc stream (v3) inside it, record by record.
 *
 * Writing: the pm_stream_put_* functions append to a growing buffer (the
 * caller writes it out, to a file or a socket, as it likes). Reading:
 * pm_stream_get_* take a cursor over bytes already read and check every
 * field the format fixes; nothing is trusted (lengths are bounded by what
 * is there and by PM_STREAM_RECORD_MAX).
 *
 * Multi-byte fields are little-endian (the host's; a big-endian stream is
 * refused), except the libxc image header's and the libxl header's, which
 * the format fixes as big-endian.
 */
#ifndef PHYSMAP_STREAM_H
#define PHYSMAP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- xl's save-file header ---- */
#define PM_XL_MAGIC "Xen saved domain, xl format\n \0 \r"   /* 32 bytes, the NULs included */
#define PM_XL_MAGIC_LEN 32
#define PM_XL_BYTEORDER 0x01020304u
#define PM_XL_MANDATORY_JSON 1u      /* the optional data is the domain's JSON configuration */
#define PM_XL_MANDATORY_STREAMV2 2u  /* a libxl v2 stream follows */

/* ---- the libxl stream ---- */
#define PM_LIBXL_IDENT 0x4c6962786c466d74ull   /* "LibxlFmt" */
#define PM_LIBXL_VERSION 2u
enum pm_libxl_rec {
	PM_LIBXL_END = 0,
	PM_LIBXL_LIBXC_CONTEXT = 1,       /* empty; a libxc stream follows it */
	PM_LIBXL_EMULATOR_XENSTORE_DATA = 2,
	PM_LIBXL_EMULATOR_CONTEXT = 3,
	PM_LIBXL_CHECKPOINT_END = 4,
	PM_LIBXL_CHECKPOINT_STATE = 5,
};
/* an emulator record's header: the emulator and its instance */
struct pm_stream_emulator { uint32_t id, index; };
#define PM_EMULATOR_UNKNOWN 0u
#define PM_EMULATOR_QEMU_UPSTREAM 2u

/* ---- the libxc stream ---- */
#define PM_LIBXC_MARKER 0xffffffffffffffffull
#define PM_LIBXC_IDENT 0x58454e46u             /* "XENF" */
#define PM_LIBXC_VERSION 3u
/* the libxc header's domain type (a uint32_t: enum values must fit an int) */
#define PM_LIBXC_DOM_X86_PV 1u
#define PM_LIBXC_DOM_X86_HVM 2u
/* physmap's extension: an ARM virt guest (Xen's format has no ARM type) */
#define PM_LIBXC_DOM_PHYSMAP_ARM64 0x80000001u
enum pm_libxc_rec {
	PM_LIBXC_END = 0x00,
	PM_LIBXC_PAGE_DATA = 0x01,
	PM_LIBXC_TSC_INFO = 0x08,
	PM_LIBXC_HVM_CONTEXT = 0x09,
	PM_LIBXC_HVM_PARAMS = 0x0a,
	PM_LIBXC_VERIFY = 0x0d,
	PM_LIBXC_CHECKPOINT = 0x0e,
	PM_LIBXC_STATIC_DATA_END = 0x10,
	PM_LIBXC_X86_CPUID_POLICY = 0x11,
	PM_LIBXC_X86_MSR_POLICY = 0x12,
	/* physmap's extension for ARM streams: the vCPUs' register state */
	PM_LIBXC_PHYSMAP_VCPUS = 0x40000001u,
};
#define PM_LIBXC_REC_OPTIONAL 0x80000000u      /* a reader may skip an unknown optional record */

/*
 * PHYSMAP_VCPUS: u32 count, u32 reserved, then a vCPU after another: u32
 * arch (enum pm_hv_arch), u16 registers (nr), u16 flags (PM_VCPU_UP), u64
 * × nr in <physmap/hv.h>'s order
 */
#define PM_VCPU_UP 1u

/*
 * physmap's EMULATOR_CONTEXT (emulator PM_EMULATOR_UNKNOWN, index 0):
 * sections, each u32 tag, u32 length, the bytes, zeros to a multiple of 8
 */
enum pm_ctx_tag {
	PM_CTX_DEVICES = 1,      /* physmap-dm's device state (its own blob) */
	PM_CTX_WATCHES = 2,      /* the guest's store watches: "PATH\tTOKEN\n" each */
	PM_CTX_FIRMWARE = 3,     /* where its firmware table is: "KIND GPA LEN" */
	PM_CTX_TARGET = 4,       /* the balloon's target, KiB, as the store's memory/target */
	PM_CTX_GUEST_STORE = 5,  /* what the guest wrote in its home (control/feature-*, data/...):
				  * "PATH\tVALUE\n" each, PATH relative to the home */
};

/* PAGE_DATA: count u32, reserved u32, pfn u64 × count (type in bits 60-63), then the pages */
#define PM_PAGE_TYPE_SHIFT 60
#define PM_PAGE_PFN_MASK ((1ull << 52) - 1)
#define PM_PAGE_NOTAB 0x0ull     /* a page, with data */
#define PM_PAGE_BROKEN 0xdull    /* no data */
#define PM_PAGE_XALLOC 0xeull    /* allocate, no data */
#define PM_PAGE_XTAB 0xfull      /* not present, no data */
#define PM_PAGE_DATA_MAX 1024    /* pfns a record carries at most (as libxc's batches) */

#define PM_STREAM_RECORD_MAX (16u << 20)   /* the largest record a reader accepts */

/* ---- writing ---- */

/** struct pm_stream_buf - bytes written so far (data malloc'ed; len, cap) */
struct pm_stream_buf {
	uint8_t *data;
	size_t len, cap;
};

/** pm_stream_buf_dispose - free the buffer; it is empty again */
void pm_stream_buf_dispose(struct pm_stream_buf *b);

/**
 * pm_stream_put_xl_header - xl's header with @json (NUL included) as its
 * optional data, mandatory flags JSON | STREAMv2
 * returns: 0; -ENOMEM
 */
int pm_stream_put_xl_header(struct pm_stream_buf *b, const char *json);

/** pm_stream_put_libxl_header / pm_stream_put_libxc_header - the streams' headers. returns: 0; -ENOMEM */
int pm_stream_put_libxl_header(struct pm_stream_buf *b);
int pm_stream_put_libxc_header(struct pm_stream_buf *b, uint32_t type, uint32_t xen_major,
			       uint32_t xen_minor);

/**
 * pm_stream_put_record - a record of either stream: type, length, @len
 * bytes of @body (two parts, either may be empty), zero padding to 8
 * returns: 0; -E2BIG (over PM_STREAM_RECORD_MAX); -ENOMEM
 */
int pm_stream_put_record(struct pm_stream_buf *b, uint32_t type, const void *head, size_t head_len,
			 const void *body, size_t len);

/**
 * pm_stream_put_page_data - a PAGE_DATA record of @count pfns (each with
 * its type in bits 60-63); @pages holds one page for each NOTAB pfn, in
 * order
 * returns: 0; -EINVAL (no pfns, more than PM_PAGE_DATA_MAX, a pfn past 2^52);
 *   -ENOMEM
 */
int pm_stream_put_page_data(struct pm_stream_buf *b, const uint64_t *pfns, uint32_t count, const void *pages);

/* ---- reading ---- */

/** struct pm_stream_cursor - bytes to read: [data + pos, data + len) */
struct pm_stream_cursor {
	const uint8_t *data;
	size_t len, pos;
};

/** struct pm_stream_record - one record as read: its body points into the cursor's bytes */
struct pm_stream_record {
	uint32_t type, len;
	const uint8_t *body;
};

/**
 * pm_stream_get_xl_header - xl's header; *@json points at its optional
 * data (NUL-terminated, checked), or NULL if it has none
 * returns: 0; -EINVAL (not xl's magic, another byte order, no v2 stream
 *   follows, unknown mandatory or optional-data flags (xl defines no
 *   optional ones), the JSON not terminated); -ENODATA
 *   (truncated)
 */
int pm_stream_get_xl_header(struct pm_stream_cursor *c, const char **json);

/** pm_stream_get_libxl_header / pm_stream_get_libxc_header - the headers, checked. returns: 0; -EINVAL; -ENODATA */
int pm_stream_get_libxl_header(struct pm_stream_cursor *c);
int pm_stream_get_libxc_header(struct pm_stream_cursor *c, uint32_t *type);

/**
 * pm_stream_get_record - the next record; its padding must be zeros
 * returns: 0; -ENODATA (truncated); -E2BIG (longer than
 *   PM_STREAM_RECORD_MAX); -EINVAL (non-zero padding)
 */
int pm_stream_get_record(struct pm_stream_cursor *c, struct pm_stream_record *r);

/**
 * pm_stream_page_data - check a PAGE_DATA record: *@count pfns
 * (pm_stream_page_pfn), the pages at *@pages (one for each NOTAB pfn)
 * returns: 0; -EINVAL (reserved bits, unknown types, lengths that do not
 *   add up)
 */
int pm_stream_page_data(const struct pm_stream_record *r, uint32_t *count, const uint8_t **pages);

/** pm_stream_page_pfn - pfn @i of a checked PAGE_DATA record, its type in bits 60-63 */
uint64_t pm_stream_page_pfn(const struct pm_stream_record *r, uint32_t i);

#ifdef __cplusplus
}
#endif

#endif
