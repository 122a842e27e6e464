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

/* The destination of a queued datagram, kept in its skb->cb. */
static inline struct kd_addr *kdht_txcb(struct sk_buff *skb)
{
	return (struct kd_addr *)skb->cb;
}

int kdht_socket_create(struct net *net, u16 port, struct socket **out);
void kdht_socket_attach(struct socket *sock, struct kdht_node *node);
void kdht_socket_detach(struct socket *sock);
void kdht_socket_release(struct socket *sock);
int kdht_socket_send(struct socket *sock, u16 sport, struct sk_buff *skb);

#endif /* _KDHT_SOCKET_H */
