// SPDX-License-Identifier: GPL-2.0
/*
 * The node's UDP socket: one IPv6 socket that also takes IPv4, so a node has
 * a single port for both families. Datagrams arrive through encap_rcv in
 * softirq; the node is found through sk_user_data under RCU, which stopping
 * a node clears (kdht_socket_detach) and waits out before freeing it.
 *
 * Sending needs no lock: the caller owns the skb and the socket outlives
 * every sender (the node stops its timer and its netlink users first).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/addrconf.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6_stubs.h>
#include <net/route.h>
#include <net/udp_tunnel.h>

#include "node.h"
#include "socket.h"

static int kdht_socket_rcv(struct sock *sk, struct sk_buff *skb)
{
	struct kdht_node *node;
	struct kd_addr from = {};
	unsigned int off;

	node = rcu_dereference_sk_user_data(sk);
	if (unlikely(!node))
		goto out;
	if (skb_linearize(skb))
		goto out;
	off = skb_transport_offset(skb) + sizeof(struct udphdr);
	if (unlikely(off > skb->len))
		goto out;

	if (ip_hdr(skb)->version == 4) {
		from.family = KDHT_AF_INET;
		memcpy(from.ip, &ip_hdr(skb)->saddr, 4);
	} else if (ipv6_addr_v4mapped(&ipv6_hdr(skb)->saddr)) {
		from.family = KDHT_AF_INET;
		memcpy(from.ip, &ipv6_hdr(skb)->saddr.s6_addr32[3], 4);
	} else {
		from.family = KDHT_AF_INET6;
		memcpy(from.ip, &ipv6_hdr(skb)->saddr, 16);
	}
	from.port = ntohs(udp_hdr(skb)->source);

	kdht_node_input(node, &from, skb->data + off, skb->len - off);
	consume_skb(skb);
	return 0;
out:
	kfree_skb(skb);
	return 0;
}

/* A bound socket that drops every datagram until kdht_socket_attach(). */
int kdht_socket_create(struct net *net, u16 port, struct socket **out)
{
	struct udp_port_cfg cfg = {
		.family = AF_INET6,
		.ipv6_v6only = 0,
		.local_ip6 = IN6ADDR_ANY_INIT,
		.local_udp_port = htons(port),
		.use_udp6_rx_checksums = true,
	};
	struct udp_tunnel_sock_cfg tcfg = {
		.sk_user_data = NULL,
		.encap_type = 1,
		.encap_rcv = kdht_socket_rcv,
	};
	struct socket *sock;
	int ret;

	ret = udp_sock_create(net, &cfg, &sock);
	if (ret < 0)
		return ret;
	setup_udp_tunnel_sock(net, sock, &tcfg);
	*out = sock;
	return 0;
}

/*
 * Makes the node reachable from encap_rcv. The node must be complete first:
 * the store is a release, so the receive path sees node->sock and node->port
 * set.
 */
void kdht_socket_attach(struct socket *sock, struct kdht_node *node)
{
	WARN_ON_ONCE(node->sock != sock);
	rcu_assign_sk_user_data(sock->sk, node);
}

/* After this and an RCU grace period, encap_rcv no longer sees the node. */
void kdht_socket_detach(struct socket *sock)
{
	rcu_assign_sk_user_data(sock->sk, NULL);
}

void kdht_socket_release(struct socket *sock)
{
	udp_tunnel_sock_release(sock);
}

static int kdht_socket_send4(struct socket *sock, u16 sport, struct sk_buff *skb,
			     const struct kd_addr *to)
{
	struct sock *sk = sock->sk;
	struct flowi4 fl = {
		.flowi4_proto = IPPROTO_UDP,
		.fl4_sport = htons(sport),
		.fl4_dport = htons(to->port),
	};
	struct rtable *rt;

	memcpy(&fl.daddr, to->ip, 4);
	rt = ip_route_output_key(sock_net(sk), &fl);
	if (IS_ERR(rt)) {
		kfree_skb(skb);
		return PTR_ERR(rt);
	}
	udp_tunnel_xmit_skb(rt, sk, skb, fl.saddr, fl.daddr, 0,
			    ip4_dst_hoplimit(&rt->dst), 0, fl.fl4_sport,
			    fl.fl4_dport, false, false);
	return 0;
}

static int kdht_socket_send6(struct socket *sock, u16 sport, struct sk_buff *skb,
			     const struct kd_addr *to)
{
	struct sock *sk = sock->sk;
	struct flowi6 fl = {
		.flowi6_proto = IPPROTO_UDP,
		.fl6_sport = htons(sport),
		.fl6_dport = htons(to->port),
	};
	struct dst_entry *dst;

	memcpy(&fl.daddr, to->ip, 16);
	dst = ipv6_stub->ipv6_dst_lookup_flow(sock_net(sk), sk, &fl, NULL);
	if (IS_ERR(dst)) {
		kfree_skb(skb);
		return PTR_ERR(dst);
	}
	return udp_tunnel6_xmit_skb(dst, sk, skb, NULL, &fl.saddr, &fl.daddr, 0,
				    ip6_dst_hoplimit(dst), 0, fl.fl6_sport,
				    fl.fl6_dport, false);
}

/* Sends the datagram in skb to kdht_txcb(skb); consumes skb. */
int kdht_socket_send(struct socket *sock, u16 sport, struct sk_buff *skb)
{
	struct kd_addr to = *kdht_txcb(skb);

	memset(skb->cb, 0, sizeof(skb->cb));
	if (to.family == KDHT_AF_INET)
		return kdht_socket_send4(sock, sport, skb, &to);
	if (to.family == KDHT_AF_INET6)
		return kdht_socket_send6(sock, sport, skb, &to);
	kfree_skb(skb);
	return -EAFNOSUPPORT;
}
