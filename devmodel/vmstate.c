/*
 * devmodel/vmstate.c - the devices' state as one blob, for save, restore
 * and migration (see dm.h)
 *
 * The blob is a list of (id, state) entries, ids being the devices'
 * instance names; each device decides its own state's layout and checks
 * it on load. Loading matches by id, so the order of creation does not
 * matter and a device the blob does not name keeps its reset state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dm.h"

int pm_vmstate_put(struct pm_vmstate_buf *b, const void *data, size_t len)
{
	if (len > b->cap - b->len) {
		size_t cap = b->cap ? b->cap : 256;
		uint8_t *d;

		while (cap - b->len < len) {
			if (cap > SIZE_MAX / 2)
				return -ENOMEM;
			cap *= 2;
		}
		d = realloc(b->data, cap);
		if (!d)
			return -ENOMEM;
		b->data = d;
		b->cap = cap;
	}
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	return 0;
}

int pm_dm_vmstate_register(struct pm_dm *dm, const char *id, const struct pm_vmstate_ops *ops, void *opaque)
{
	struct pm_vmstate *v;

	if (strlen(id) >= sizeof(v->id))
		return -EINVAL;
	for (size_t i = 0; i < dm->nr_vmstate; i++)
		if (!strcmp(dm->vmstate[i].id, id))
			return -EEXIST;
	v = realloc(dm->vmstate, (dm->nr_vmstate + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	dm->vmstate = v;
	v = &dm->vmstate[dm->nr_vmstate++];
	snprintf(v->id, sizeof(v->id), "%s", id);
	v->ops = ops;
	v->opaque = opaque;
	return 0;
}

int pm_dm_save(struct pm_dm *dm, struct pm_vmstate_buf *out)
{
	struct pm_vmstate_buf state = { 0 };
	int rc = 0;

	*out = (struct pm_vmstate_buf){ 0 };
	for (size_t i = 0; !rc && i < dm->nr_vmstate; i++) {
		const struct pm_vmstate *v = &dm->vmstate[i];
		uint16_t idlen = (uint16_t)strlen(v->id);
		uint32_t len;

		state.len = 0;
		rc = v->ops->save(v->opaque, &state);
		if (rc)
			break;
		if (state.len > UINT32_MAX) {
			rc = -ENOMEM;
			break;
		}
		len = (uint32_t)state.len;
		rc = pm_vmstate_put(out, &idlen, sizeof(idlen));
		if (!rc)
			rc = pm_vmstate_put(out, v->id, idlen);
		if (!rc)
			rc = pm_vmstate_put(out, &len, sizeof(len));
		if (!rc)
			rc = pm_vmstate_put(out, state.data, state.len);
	}
	free(state.data);
	if (rc) {
		free(out->data);
		*out = (struct pm_vmstate_buf){ 0 };
	}
	return rc;
}

int pm_dm_load_state(struct pm_dm *dm, const uint8_t *buf, size_t len, char *err, size_t errlen)
{
	size_t pos = 0;

	while (pos < len) {
		uint16_t idlen;
		uint32_t slen;
		char id[64];
		const struct pm_vmstate *v = NULL;
		int rc;

		if (len - pos < sizeof(idlen)) {
			snprintf(err, errlen, "device state: truncated at byte %zu", pos);
			return -EINVAL;
		}
		memcpy(&idlen, buf + pos, sizeof(idlen));
		pos += sizeof(idlen);
		if (idlen >= sizeof(id) || len - pos < idlen + sizeof(slen)) {
			snprintf(err, errlen, "device state: a bad entry at byte %zu", pos);
			return -EINVAL;
		}
		memcpy(id, buf + pos, idlen);
		id[idlen] = 0;
		pos += idlen;
		memcpy(&slen, buf + pos, sizeof(slen));
		pos += sizeof(slen);
		if (len - pos < slen) {
			snprintf(err, errlen, "device state: %s: truncated", id);
			return -EINVAL;
		}
		for (size_t i = 0; i < dm->nr_vmstate && !v; i++)
			if (!strcmp(dm->vmstate[i].id, id))
				v = &dm->vmstate[i];
		if (!v) {
			snprintf(err, errlen, "device state: %s: no such device here", id);
			return -EINVAL;
		}
		rc = v->ops->load(v->opaque, buf + pos, slen);
		if (rc) {
			snprintf(err, errlen, "device state: %s: refused (%u bytes)", id, slen);
			return -EINVAL;
		}
		pos += slen;
	}
	return 0;
}
