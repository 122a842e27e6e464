/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _KDHT_SOCKET_H
#define _KDHT_SOCKET_H

#include <linux/ipv6.h>
#include <linux/skbuff.h>
#include <linux/udp.h>

#include "kd_types.h"

struct kdht_node;
struct net;
struct socket;

/* Room in front of a datagram for the UDP, IP and link headers. */
#define KDHT_TX_HEADROOM	(MAX_HEADER + sizeof(struct ipv6hdr) + sizeof(struct udphdr))

/*
 * A node's two sockets on one port: IPv4, and IPv6 (v6only) unless the
 * kernel has IPv6 disabled, when v6 is NULL and IPv6 peers are unreachable.
 */
struct kdht_sockets {
	struct socket *v4;
	struct socket *v6;
};

/*
 * The local address a datagram left or arrived at, so that a reply leaves
 * from the address the request came to (a host may have several). family
 * 0: let the route choose. ifindex matters for IPv6 link-local only.
 */
struct kdht_src {
	u8 family;
	u8 ip[16];
	int ifindex;
};

/* What a queued datagram carries in its skb->cb until it is sent. */
struct kdht_txcb {
	struct kd_addr to;
	struct kdht_src src;
};

static inline struct kdht_txcb *kdht_txcb(struct sk_buff *skb)
{
	BUILD_BUG_ON(sizeof(struct kdht_txcb) > sizeof_field(struct sk_buff, cb));
	return (struct kdht_txcb *)skb->cb;
}

/* Both sockets bound to port (0: any free one), dropping until attached. */
int kdht_socket_create(struct net *net, u16 port, struct kdht_sockets *out);
/* The port the sockets are bound to. */
u16 kdht_socket_port(const struct kdht_sockets *socks);
void kdht_socket_attach(const struct kdht_sockets *socks, struct kdht_node *node);
void kdht_socket_detach(const struct kdht_sockets *socks);
void kdht_socket_release(struct kdht_sockets *socks);
/*
 * Sends the datagram in skb to kdht_txcb(skb)->to, from its src if that
 * address is still ours; consumes skb. -EACCES: the destination is a
 * broadcast or multicast address, which a node never sends to.
 */
int kdht_socket_send(const struct kdht_sockets *socks, u16 sport,
		     struct sk_buff *skb);

#endif /* _KDHT_SOCKET_H */
