/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KDHT_MAIN_H
#define _KDHT_MAIN_H

#include <linux/types.h>

extern unsigned int kdht_net_id;
extern ushort kdht_default_port;

/*
 * Percent of the daemon's netlink receive buffer that requests from peers
 * (STOREs, FIND_VALUEs) may fill; the rest is kept for the replies to the
 * daemon's own puts and gets, so a flood cannot starve them.
 */
#define KDHT_UPCALL_REQUEST_SHARE	50
extern unsigned int kdht_upcall_request_share;

#endif /* _KDHT_MAIN_H */
