/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KDHT_NETLINK_H
#define _KDHT_NETLINK_H

#include <linux/skbuff.h>

#include "kd_core.h"

struct kdht_net;
struct kdht_node;

int kdht_netlink_init(void);
void kdht_netlink_uninit(void);

/* Builders for the messages the node queues under its lock (GFP_ATOMIC). */
struct sk_buff *kdht_netlink_build_done(const struct kd_event *ev, u32 cookie);
struct sk_buff *kdht_netlink_build_contact(const struct kd_node *n, bool added);
struct sk_buff *kdht_netlink_build_recv(struct kdht_node *node,
					const struct kd_addr *from,
					const struct kd_input *in);
/*
 * Sends a queued message to its kdht_evcb() destination, an upcall to the
 * registered daemon; consumes skb. -ECONNREFUSED: no daemon any more.
 */
int kdht_netlink_deliver(struct kdht_net *kn, struct sk_buff *skb);
/* Whether anyone listens to the routes group: else no event is built. */
bool kdht_netlink_routes_listened(struct kdht_net *kn);
/* Must hold kn->lock. Drops the daemon's registration, if any. */
void kdht_netlink_forget_daemon(struct kdht_net *kn);

#endif /* _KDHT_NETLINK_H */
