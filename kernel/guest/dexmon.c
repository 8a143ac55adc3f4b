// SPDX-License-Identifier: MIT
/*
 * dexmon: print the IOAM6 generic netlink events of the current network
 * namespace, one line per event, for the in-guest tests.
 *
 *   dexmon [-n COUNT] [-t MS]
 *
 * Prints "READY" once subscribed, then lines such as
 *   DEX ns=123 flow=0x1234abcd seq=0 hlni=0x3f000001 ifs=0x000b000c ...
 *   TRACE ns=123 nodelen=2 type=0xc00000 data=...
 * and "END events=N" when COUNT events were seen or after MS idle
 * milliseconds (default 3000). Data fields are printed as the kernel sent
 * them (network byte order values, shown as numbers).
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

/* Our numbers (DESIGN.md), not the system's 6.1 uapi headers */
enum { EV_TRACE = 1, EV_DEX = 2 };
enum {
	A_TRACE_NS = 1, A_TRACE_NODELEN, A_TRACE_TYPE, A_TRACE_DATA,
	A_OPTION_TYPE, A_DEX_NS, A_DEX_FLOW, A_DEX_SEQ,
	A_HLNI, A_IFS, A_TS, A_FRAC, A_TRANSIT, A_NSDATA, A_QDEPTH, A_CSUM,
	A_HLNI_W, A_IFS_W, A_NSDATA_W, A_BUFOCC,
	A_BIT12, A_BIT21 = A_BIT12 + 9,
	A_OSS_SCID, A_OSS_DATA, A_PAD,
};

static const char *const field_name[] = {
	[A_HLNI] = "hlni", [A_IFS] = "ifs", [A_TS] = "ts", [A_FRAC] = "frac",
	[A_TRANSIT] = "transit", [A_NSDATA] = "nsdata", [A_QDEPTH] = "qdepth",
	[A_CSUM] = "csum", [A_HLNI_W] = "hlni_w", [A_IFS_W] = "ifs_w",
	[A_NSDATA_W] = "nsdata_w", [A_BUFOCC] = "bufocc",
	[A_OSS_SCID] = "oss_scid",
};

static char buf[1 << 16];

static int nl_open(void)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int rcvbuf = 4 << 20;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("netlink");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
}

static void put_attr(struct nlmsghdr *nlh, int type, const void *data, int len)
{
	struct nlattr *a = (struct nlattr *)((char *)nlh + NLMSG_ALIGN(nlh->nlmsg_len));

	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((char *)a + NLA_HDRLEN, data, len);
	nlh->nlmsg_len = NLMSG_ALIGN(nlh->nlmsg_len) + NLA_ALIGN(a->nla_len);
}

/* Resolves the family id and the id of its multicast group */
static int resolve(int fd, const char *family, const char *group, int *grp_id)
{
	char req[512] = { 0 };
	struct nlmsghdr *nlh = (struct nlmsghdr *)req;
	struct genlmsghdr *g;
	int fam = -1, n;

	nlh->nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	g = NLMSG_DATA(nlh);
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	put_attr(nlh, CTRL_ATTR_FAMILY_NAME, family, strlen(family) + 1);
	if (send(fd, req, nlh->nlmsg_len, 0) < 0)
		return -1;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		return -1;
	for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
		struct nlattr *a;
		int len;

		if (nlh->nlmsg_type == NLMSG_ERROR)
			return -1;
		len = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
		a = (struct nlattr *)((char *)NLMSG_DATA(nlh) + GENL_HDRLEN);
		for (; len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len;
		     len -= NLA_ALIGN(a->nla_len), a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
			if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_FAMILY_ID)
				fam = *(uint16_t *)((char *)a + NLA_HDRLEN);
			if ((a->nla_type & NLA_TYPE_MASK) == CTRL_ATTR_MCAST_GROUPS) {
				struct nlattr *gr = (struct nlattr *)((char *)a + NLA_HDRLEN);
				int glen = a->nla_len - NLA_HDRLEN;

				for (; glen >= NLA_HDRLEN && gr->nla_len >= NLA_HDRLEN && gr->nla_len <= glen;
				     glen -= NLA_ALIGN(gr->nla_len), gr = (struct nlattr *)((char *)gr + NLA_ALIGN(gr->nla_len))) {
					struct nlattr *x = (struct nlattr *)((char *)gr + NLA_HDRLEN);
					int xlen = gr->nla_len - NLA_HDRLEN, id = -1;
					const char *name = NULL;

					for (; xlen >= NLA_HDRLEN && x->nla_len >= NLA_HDRLEN && x->nla_len <= xlen;
					     xlen -= NLA_ALIGN(x->nla_len), x = (struct nlattr *)((char *)x + NLA_ALIGN(x->nla_len))) {
						if (x->nla_type == CTRL_ATTR_MCAST_GRP_ID)
							id = *(uint32_t *)((char *)x + NLA_HDRLEN);
						if (x->nla_type == CTRL_ATTR_MCAST_GRP_NAME)
							name = (char *)x + NLA_HDRLEN;
					}
					if (name && !strcmp(name, group))
						*grp_id = id;
				}
			}
		}
	}
	return fam;
}

static uint32_t be32(const void *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return ntohl(v);
}

static uint64_t be64(const void *p)
{
	return ((uint64_t)be32(p) << 32) | be32((const char *)p + 4);
}

static void print_hex(const char *key, const unsigned char *p, int len)
{
	printf(" %s=", key);
	for (int i = 0; i < len; i++)
		printf("%02x", p[i]);
}

static void print_event(struct nlmsghdr *nlh, int family)
{
	struct genlmsghdr *g = NLMSG_DATA(nlh);
	int len = nlh->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
	struct nlattr *a = (struct nlattr *)((char *)g + GENL_HDRLEN);

	if (nlh->nlmsg_type != family)
		return;
	printf(g->cmd == EV_DEX ? "DEX" : g->cmd == EV_TRACE ? "TRACE" : "EVENT%u", g->cmd);
	for (; len >= NLA_HDRLEN && a->nla_len >= NLA_HDRLEN && a->nla_len <= len;
	     len -= NLA_ALIGN(a->nla_len), a = (struct nlattr *)((char *)a + NLA_ALIGN(a->nla_len))) {
		const unsigned char *d = (const unsigned char *)a + NLA_HDRLEN;
		int dl = a->nla_len - NLA_HDRLEN, t = a->nla_type & NLA_TYPE_MASK;
		uint16_t u16;
		uint32_t u32;

		switch (t) {
		case A_TRACE_NS:
		case A_DEX_NS:
			memcpy(&u16, d, 2);
			printf(" ns=%u", u16);
			break;
		case A_TRACE_NODELEN:
			printf(" nodelen=%u", d[0]);
			break;
		case A_TRACE_TYPE:
			memcpy(&u32, d, 4);
			printf(" type=0x%06x", u32 >> 8);
			break;
		case A_TRACE_DATA:
			print_hex("data", d, dl);
			break;
		case A_OPTION_TYPE:
			printf(" opt=%u", d[0]);
			break;
		case A_DEX_FLOW:
			memcpy(&u32, d, 4);
			printf(" flow=0x%08x", u32);
			break;
		case A_DEX_SEQ:
			memcpy(&u32, d, 4);
			printf(" seq=%u", u32);
			break;
		case A_OSS_DATA:
			print_hex("oss_data", d, dl);
			break;
		case A_PAD:
			break;
		default:
			if (t >= A_BIT12 && t <= A_BIT21 && dl == 4)
				printf(" bit%d=0x%08x", 12 + t - A_BIT12, be32(d));
			else if (t < (int)(sizeof(field_name) / sizeof(field_name[0])) &&
				 field_name[t] && dl == 4)
				printf(" %s=0x%08x", field_name[t], be32(d));
			else if (t < (int)(sizeof(field_name) / sizeof(field_name[0])) &&
				 field_name[t] && dl == 8)
				printf(" %s=0x%016llx", field_name[t], (unsigned long long)be64(d));
			else
				print_hex("unknown", d, dl);
		}
	}
	printf("\n");
}

int main(int argc, char **argv)
{
	int count = -1, timeout = 3000, events = 0, fd, family, grp = -1, opt;

	while ((opt = getopt(argc, argv, "n:t:")) != -1) {
		if (opt == 'n')
			count = atoi(optarg);
		else if (opt == 't')
			timeout = atoi(optarg);
		else
			return 2;
	}
	fd = nl_open();
	family = resolve(fd, "IOAM6", "ioam6_events", &grp);
	if (family < 0 || grp < 0) {
		fprintf(stderr, "dexmon: IOAM6 family or ioam6_events group not found\n");
		return 1;
	}
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &grp, sizeof(grp)) < 0) {
		perror("NETLINK_ADD_MEMBERSHIP");
		return 1;
	}
	printf("READY\n");
	fflush(stdout);
	while (count < 0 || events < count) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct nlmsghdr *nlh;
		int n;

		if (poll(&p, 1, timeout) <= 0)
			break;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0) {
			if (errno == ENOBUFS) {
				printf("ENOBUFS\n");
				continue;
			}
			perror("recv");
			return 1;
		}
		for (nlh = (struct nlmsghdr *)buf; NLMSG_OK(nlh, n); nlh = NLMSG_NEXT(nlh, n)) {
			print_event(nlh, family);
			events++;
		}
		fflush(stdout);
	}
	printf("END events=%d\n", events);
	return 0;
}
