// SPDX-License-Identifier: GPL-2.0 OR MIT
/* Arguments both targets take, parsed and refused in the same words. */
#include "dhtctl.h"
#include "hex.h"
#include "kdht_wire.h"
#include "out.h"

int dhtctl_arg_addr(const char *s, struct kd_addr *out)
{
	if (kd_addr_parse(out, s, KDHT_DEFAULT_PORT))
		return out_fail(DHTCTL_USAGE, "bad address '%s' (ADDR:PORT, or [IPV6]:PORT)", s);
	return DHTCTL_OK;
}

int dhtctl_arg_id(const char *s, uint8_t id[KDHT_KEY_LEN])
{
	if (kd_hex_parse(id, KDHT_KEY_LEN, s))
		return out_fail(DHTCTL_USAGE, "bad id '%s' (64 hex digits)", s);
	return DHTCTL_OK;
}

int dhtctl_timeout_ms(const struct dhtctl_cmd *c, int default_s)
{
	return (int)(opt_given(c, OPT_TIMEOUT) ? c->num[OPT_TIMEOUT] : (unsigned long)default_s) *
	       1000;
}
