// SPDX-License-Identifier: MIT
/*
 * tcpbulk: one TCP bulk transfer over IPv6, for the in-guest tests. No MSS
 * clamp, no socket options: the kernel picks the segment size from the
 * route, as any application would get it.
 *
 *   tcpbulk -l PORT [-t SECONDS]     receive one connection, print
 *                                    "READY", then "RECEIVED <bytes>"
 *   tcpbulk ADDR PORT BYTES [-t S]   send BYTES, print "SENT <bytes>"
 *
 * Exits 1 on an error or when the transfer does not finish within the
 * time limit (default 120 s), so a stalled connection fails the test.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static char buf[1 << 16];

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int receive(int port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	long long total = 0;
	int one = 1, fd, c;
	ssize_t n;

	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0)
		die("bind/listen");
	printf("READY\n");
	fflush(stdout);
	c = accept(fd, NULL, NULL);
	if (c < 0)
		die("accept");
	while ((n = read(c, buf, sizeof(buf))) > 0)
		total += n;
	if (n < 0)
		die("read");
	printf("RECEIVED %lld\n", total);
	close(c);
	close(fd);
	return 0;
}

static int send_bulk(const char *addr, int port, long long bytes)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	long long sent = 0;
	ssize_t n;
	int fd;

	if (inet_pton(AF_INET6, addr, &sa.sin6_addr) != 1) {
		fprintf(stderr, "tcpbulk: bad address %s\n", addr);
		return 1;
	}
	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		die("connect");
	memset(buf, 0x5a, sizeof(buf));
	while (sent < bytes) {
		size_t chunk = bytes - sent < (long long)sizeof(buf) ? bytes - sent : sizeof(buf);

		n = write(fd, buf, chunk);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("write");
		}
		sent += n;
	}
	/* wait until the receiver has read everything and closed */
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		;
	printf("SENT %lld\n", sent);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	int secs = 120, opt, port = -1;

	while ((opt = getopt(argc, argv, "l:t:")) != -1) {
		switch (opt) {
		case 'l':
			port = atoi(optarg);
			break;
		case 't':
			secs = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: tcpbulk -l PORT | ADDR PORT BYTES [-t S]\n");
			return 2;
		}
	}
	/* a stalled transfer ends the program (SIGALRM) with a failure */
	alarm(secs);
	if (port >= 0)
		return receive(port);
	if (argc - optind != 3) {
		fprintf(stderr, "usage: tcpbulk -l PORT | ADDR PORT BYTES [-t S]\n");
		return 2;
	}
	return send_bulk(argv[optind], atoi(argv[optind + 1]), atoll(argv[optind + 2]));
}
