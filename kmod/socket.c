// SPDX-License-Identifier: GPL-2.0
/*
 * The node's UDP sockets: one IPv4 and one IPv6 (v6only) on the same port,
 * so that a kernel booted with ipv6.disable=1 still runs an IPv4 node.
 * Datagrams arrive through encap_rcv in softirq; the node is found through
 * sk_user_data under RCU, which stopping a node clears (kdht_socket_detach)
 * and waits out before freeing it.
 *
 * Sending needs no lock: the caller owns the skb and the sockets outlive
 * every sender (the node stops its timer and its netlink users first).
 * udp_tunnel_xmit_skb() skips udp_sendmsg()'s checks, so the refusal of
 * broadcast and multicast destinations is made here.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ipv6.h>
#include <linux/udp.h>
#include <net/addrconf.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/ipv6_stubs.h>
#include <net/route.h>
#include <net/udp_tunnel.h>

#include "node.h"
#include "socket.h"

/*
 * A datagram sent to a broadcast or multicast address is not a request to
 * this node: answering it would let one packet draw replies from a subnet.
 */
static bool kdht_socket_for_host(struct sk_buff *skb)
{
	const struct rtable *rt;

	if (skb->pkt_type != PACKET_HOST)
		return false;
	if (ip_hdr(skb)->version == 6)
		return !ipv6_addr_is_multicast(&ipv6_hdr(skb)->daddr);
	if (ipv4_is_multicast(ip_hdr(skb)->daddr) ||
	    ipv4_is_lbcast(ip_hdr(skb)->daddr))
		return false;
	rt = skb_rtable(skb);
	return !rt || !(rt->rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST));
}

/* The sender and the local address of a datagram; false if v4-mapped. */
static bool kdht_socket_ends(struct sk_buff *skb, struct kd_addr *from,
			     struct kdht_src *local)
{
	memset(from, 0, sizeof(*from));
	memset(local, 0, sizeof(*local));
	if (ip_hdr(skb)->version == 4) {
		from->family = KDHT_AF_INET;
		memcpy(from->ip, &ip_hdr(skb)->saddr, 4);
		local->family = KDHT_AF_INET;
		memcpy(local->ip, &ip_hdr(skb)->daddr, 4);
	} else {
		if (ipv6_addr_v4mapped(&ipv6_hdr(skb)->saddr))
			return false;
		from->family = KDHT_AF_INET6;
		memcpy(from->ip, &ipv6_hdr(skb)->saddr, 16);
		local->family = KDHT_AF_INET6;
		memcpy(local->ip, &ipv6_hdr(skb)->daddr, 16);
		if (ipv6_addr_type(&ipv6_hdr(skb)->daddr) & IPV6_ADDR_LINKLOCAL)
			local->ifindex = inet6_iif(skb);
	}
	from->port = ntohs(udp_hdr(skb)->source);
	return true;
}

static int kdht_socket_rcv(struct sock *sk, struct sk_buff *skb)
{
	unsigned int off = skb_transport_offset(skb) + sizeof(struct udphdr);
	struct kdht_node *node;
	struct kdht_src local;
	struct kd_addr from;

	node = rcu_dereference_sk_user_data(sk);
	if (unlikely(!node || off > skb->len))
		goto drop;
	/* Before linearizing: a reassembled 64 KB datagram costs a large copy. */
	if (unlikely(skb->len - off > KDHT_MAX_DATAGRAM)) {
		kdht_node_count_rx(node, skb->len - off, KDHT_STAT_DROP_OVERSIZE);
		goto drop;
	}
	if (unlikely(!kdht_socket_for_host(skb))) {
		kdht_node_count_rx(node, skb->len - off, KDHT_STAT_DROP_BROADCAST);
		goto drop;
	}
	if (unlikely(!kdht_socket_ends(skb, &from, &local))) {
		kdht_node_count_rx(node, skb->len - off, KDHT_STAT_DROP_BAD_ADDR);
		goto drop;
	}
	if (skb_linearize(skb))
		goto drop;
	kdht_node_input(node, &from, &local, skb->data + off, skb->len - off);
	consume_skb(skb);
	return 0;
drop:
	kfree_skb(skb);
	return 0;
}

static int kdht_socket_create_one(struct net *net, bool v6, u16 port,
				  struct socket **out)
{
	struct udp_port_cfg cfg = {
		.family = v6 ? AF_INET6 : AF_INET,
		.ipv6_v6only = 1,
		.local_ip6 = IN6ADDR_ANY_INIT,
		.local_udp_port = htons(port),
		.use_udp6_rx_checksums = true,
	};
	struct udp_tunnel_sock_cfg tcfg = {
		.sk_user_data = NULL,
		.encap_type = 1,
		.encap_rcv = kdht_socket_rcv,
	};
	int ret;

	ret = udp_sock_create(net, &cfg, out);
	if (ret < 0)
		return ret;
	setup_udp_tunnel_sock(net, *out, &tcfg);
	return 0;
}

/*
 * The IPv4 socket first: with port 0 it picks the port the IPv6 one then
 * takes. IPv6 is optional only when the kernel has it disabled.
 */
int kdht_socket_create(struct net *net, u16 port, struct kdht_sockets *out)
{
	int ret;

	out->v6 = NULL;
	ret = kdht_socket_create_one(net, false, port, &out->v4);
	if (ret)
		return ret;
	if (!ipv6_mod_enabled())
		return 0;
	ret = kdht_socket_create_one(net, true, kdht_socket_port(out), &out->v6);
	if (ret == -EAFNOSUPPORT) {
		out->v6 = NULL;
		return 0;
	}
	if (ret)
		udp_tunnel_sock_release(out->v4);
	return ret;
}

u16 kdht_socket_port(const struct kdht_sockets *socks)
{
	return ntohs(inet_sk(socks->v4->sk)->inet_sport);
}

/*
 * Makes the node reachable from encap_rcv. The node must be complete first:
 * the store is a release, so the receive path sees the node's sockets and
 * port set.
 */
void kdht_socket_attach(const struct kdht_sockets *socks, struct kdht_node *node)
{
	rcu_assign_sk_user_data(socks->v4->sk, node);
	if (socks->v6)
		rcu_assign_sk_user_data(socks->v6->sk, node);
}

/* After this and an RCU grace period, encap_rcv no longer sees the node. */
void kdht_socket_detach(const struct kdht_sockets *socks)
{
	rcu_assign_sk_user_data(socks->v4->sk, NULL);
	if (socks->v6)
		rcu_assign_sk_user_data(socks->v6->sk, NULL);
}

void kdht_socket_release(struct kdht_sockets *socks)
{
	if (socks->v6)
		udp_tunnel_sock_release(socks->v6);
	udp_tunnel_sock_release(socks->v4);
	socks->v4 = NULL;
	socks->v6 = NULL;
}

static struct rtable *kdht_socket_route4(struct net *net, struct flowi4 *fl,
					 const struct kdht_src *src)
{
	struct rtable *rt;

	if (src->family == KDHT_AF_INET) {
		memcpy(&fl->saddr, src->ip, 4);
		rt = ip_route_output_key(net, fl);
		if (!IS_ERR(rt))
			return rt;
		/* The address is gone: the route's choice, as for a request. */
		fl->saddr = 0;
	}
	return ip_route_output_key(net, fl);
}

static int kdht_socket_send4(struct socket *sock, u16 sport, struct sk_buff *skb,
			     const struct kdht_txcb *cb)
{
	struct sock *sk = sock->sk;
	struct flowi4 fl = {
		.flowi4_proto = IPPROTO_UDP,
		.fl4_sport = htons(sport),
		.fl4_dport = htons(cb->to.port),
	};
	struct rtable *rt;

	memcpy(&fl.daddr, cb->to.ip, 4);
	rt = kdht_socket_route4(sock_net(sk), &fl, &cb->src);
	if (IS_ERR(rt)) {
		kfree_skb(skb);
		return PTR_ERR(rt);
	}
	if (rt->rt_flags & (RTCF_BROADCAST | RTCF_MULTICAST)) {
		ip_rt_put(rt);
		kfree_skb(skb);
		return -EACCES;
	}
	udp_tunnel_xmit_skb(rt, sk, skb, fl.saddr, fl.daddr, 0,
			    ip4_dst_hoplimit(&rt->dst), 0, fl.fl4_sport,
			    fl.fl4_dport, false, false);
	return 0;
}

static struct dst_entry *kdht_socket_route6(struct sock *sk, struct flowi6 *fl,
					    const struct kdht_src *src)
{
	struct dst_entry *dst;

	if (src->family == KDHT_AF_INET6) {
		memcpy(&fl->saddr, src->ip, 16);
		fl->flowi6_oif = src->ifindex;
		if (ipv6_chk_addr(sock_net(sk), &fl->saddr, NULL, 0)) {
			dst = ipv6_stub->ipv6_dst_lookup_flow(sock_net(sk), sk, fl, NULL);
			if (!IS_ERR(dst))
				return dst;
		}
		/* The address is gone: the route's choice, as for a request. */
		fl->saddr = in6addr_any;
		fl->flowi6_oif = 0;
	}
	return ipv6_stub->ipv6_dst_lookup_flow(sock_net(sk), sk, fl, NULL);
}

static int kdht_socket_send6(struct socket *sock, u16 sport, struct sk_buff *skb,
			     const struct kdht_txcb *cb)
{
	struct sock *sk = sock->sk;
	struct flowi6 fl = {
		.flowi6_proto = IPPROTO_UDP,
		.fl6_sport = htons(sport),
		.fl6_dport = htons(cb->to.port),
	};
	struct dst_entry *dst;

	memcpy(&fl.daddr, cb->to.ip, 16);
	if (ipv6_addr_is_multicast(&fl.daddr)) {
		kfree_skb(skb);
		return -EACCES;
	}
	dst = kdht_socket_route6(sk, &fl, &cb->src);
	if (IS_ERR(dst)) {
		kfree_skb(skb);
		return PTR_ERR(dst);
	}
	return udp_tunnel6_xmit_skb(dst, sk, skb, NULL, &fl.saddr, &fl.daddr, 0,
				    ip6_dst_hoplimit(dst), 0, fl.fl6_sport,
				    fl.fl6_dport, false);
}

int kdht_socket_send(const struct kdht_sockets *socks, u16 sport,
		     struct sk_buff *skb)
{
	struct kdht_txcb cb = *kdht_txcb(skb);

	memset(skb->cb, 0, sizeof(skb->cb));
	if (cb.to.family == KDHT_AF_INET)
		return kdht_socket_send4(socks->v4, sport, skb, &cb);
	if (cb.to.family == KDHT_AF_INET6 && socks->v6)
		return kdht_socket_send6(socks->v6, sport, skb, &cb);
	kfree_skb(skb);
	return -EAFNOSUPPORT;
}
