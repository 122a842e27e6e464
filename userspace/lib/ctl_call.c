// SPDX-License-Identifier: (GPL-2.0 OR MIT)
#include "ctl_call.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_all(int fd, uint8_t *p, size_t len, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int64_t left;
	ssize_t n;
	int rc;

	while (len) {
		left = deadline - now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		rc = poll(&pfd, 1, (int)left);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return -errno;
		if (rc == 0)
			return -ETIMEDOUT;
		n = read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPROTO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int call_fd(int fd, const Kdhtctl__Request *req, int timeout_ms,
		   Kdhtctl__Response **resp)
{
	size_t len = kdhtctl__request__get_packed_size(req);
	int64_t deadline = now_ms() + timeout_ms;
	uint8_t hdr[4], *buf;
	uint32_t rlen;
	int rc;

	if (len > KDHT_CTL_MAX_FRAME)
		return -EMSGSIZE;
	buf = malloc(4 + len);
	if (!buf)
		return -ENOMEM;
	buf[0] = (uint8_t)(len >> 24);
	buf[1] = (uint8_t)(len >> 16);
	buf[2] = (uint8_t)(len >> 8);
	buf[3] = (uint8_t)len;
	kdhtctl__request__pack(req, buf + 4);
	rc = write_all(fd, buf, 4 + len);
	free(buf);
	if (rc)
		return rc;
	rc = read_all(fd, hdr, sizeof(hdr), deadline);
	if (rc)
		return rc;
	rlen = ((uint32_t)hdr[0] << 24) | ((uint32_t)hdr[1] << 16) | ((uint32_t)hdr[2] << 8) | hdr[3];
	if (rlen > KDHT_CTL_MAX_FRAME)
		return -EPROTO;
	buf = malloc(rlen ? rlen : 1);
	if (!buf)
		return -ENOMEM;
	rc = read_all(fd, buf, rlen, deadline);
	if (!rc) {
		*resp = kdhtctl__response__unpack(NULL, rlen, buf);
		if (!*resp)
			rc = -EPROTO;
	}
	free(buf);
	return rc;
}

int kdht_ctl_connect(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, rc;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	return fd;
}

int kdht_ctl_call(const char *path, const Kdhtctl__Request *req, int timeout_ms,
		  Kdhtctl__Response **resp)
{
	int fd, rc;

	fd = kdht_ctl_connect(path);
	if (fd < 0)
		return fd;
	rc = call_fd(fd, req, timeout_ms, resp);
	close(fd);
	return rc;
}
