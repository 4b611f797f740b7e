/* cli_ctr.c - logs, inspect, port, rm and stop: read what the supervisor
 * recorded (state and log files) and print it as Docker does; ps is in
 * cli_ps.c. */
#include "cli_ctr.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_network.h"
#include "client.h"
#include "runtime/container/container.h"
#include "runtime/net/ports.h"
#include "runtime/lib/proto.h"
#include "runtime/container/restart.h"
#include "runtime/lib/template.h"
#include "runtime/lib/clock.h"
#include "runtime/lib/util.h"

struct ctr_ref {
	char id[CTR_ID_LEN + 1], name[CTR_NAME_MAX];
};

/* The containers the supervisor keeps, from their files: *out (malloc'd)
 * and their number, or -ENOMEM. */
static int load_refs(const char *root, struct ctr_ref **out)
{
	struct ctr_ref *v = NULL;
	int n = 0, cap = 0;
	struct dirent *de;
	char dir[600];
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/run/berth/containers", root);
	d = opendir(dir);
	while (d && (de = readdir(d))) {
		struct ctr_config c;
		struct berr e;

		if (strlen(de->d_name) != CTR_ID_LEN || ctr_config_load(root, de->d_name, &c, &e) < 0)
			continue;
		if (n == cap) {
			struct ctr_ref *g = realloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));

			if (!g) {
				ctr_config_free(&c);
				n = -ENOMEM;
				break;
			}
			v = g;
		}
		snprintf(v[n].id, sizeof(v[n].id), "%s", de->d_name);
		snprintf(v[n].name, sizeof(v[n].name), "%s", c.name);
		ctr_config_free(&c);
		n++;
	}
	if (d)
		closedir(d);
	*out = v;
	return n;
}

/* Find a container by exact name, exact ID or unique ID prefix, from the
 * files the supervisor keeps (as many as there are). */
int cli_find_container(const char *root, const char *ref, char id[CTR_ID_LEN + 1])
{
	_cleanup_free_ struct ctr_ref *v = NULL;
	_cleanup_free_ const char **p = NULL;
	int n = load_refs(root, &v), i = -ENOMEM;

	p = n >= 0 ? malloc((2 * (size_t)n + 1) * sizeof(*p)) : NULL;
	if (p) {
		for (int k = 0; k < n; k++) {
			p[k] = v[k].id;
			p[n + k] = v[k].name;
		}
		i = ctr_lookup(ref, p, p + n, n);
	}
	if (i >= 0) {
		snprintf(id, CTR_ID_LEN + 1, "%s", v[i].id);
		return 0;
	}
	if (i == -ENOMEM)
		fprintf(stderr, "berth: find %s: out of memory\n", ref);
	else if (i == -EEXIST)
		fprintf(stderr, "berth: multiple IDs found with provided prefix: %s\n", ref);
	else
		fprintf(stderr, "berth: No such container: %s\n", ref);
	return -1;
}

/* Docker's daemon tries a generated name again when it is taken, with a
 * digit after it from the second try on (namesgenerator's retry). */
void cli_new_name(const char *root, char *buf, size_t size)
{
	_cleanup_free_ struct ctr_ref *v = NULL;
	int n = load_refs(root, &v);
	bool taken = true;

	for (int try = 0; try < 10 && taken; try++) {
		ctr_new_name(buf, size);
		if (try)
			snprintf(buf + strlen(buf), size - strlen(buf), "%d", (int)(now_ns() % 10));
		taken = false;
		for (int k = 0; k < n && !taken; k++)
			taken = strcmp(v[k].name, buf) == 0;
	}
}

int cli_load_container(const char *root, const char *ref, char id[CTR_ID_LEN + 1],
		       struct ctr_config *c, struct ctr_state *s)
{
	struct berr e;

	if (cli_find_container(root, ref, id) < 0)
		return -1;
	if (ctr_config_load(root, id, c, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return -1;
	}
	if (s && ctr_state_load(root, id, s, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		ctr_config_free(c);
		return -1;
	}
	return 0;
}

bool cli_image_in_use(const char *image_id, void *rootp)
{
	const char *root = rootp;
	char dir[600];
	struct dirent *de;
	bool used = false;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/run/berth/containers", root);
	d = opendir(dir);
	while (d && !used && (de = readdir(d))) {
		struct ctr_config c;
		struct berr e;

		if (strlen(de->d_name) != CTR_ID_LEN || ctr_config_load(root, de->d_name, &c, &e) < 0)
			continue;
		used = c.image_id && strcmp(c.image_id, image_id) == 0;
		ctr_config_free(&c);
	}
	if (d)
		closedir(d);
	return used;
}

struct rm_opts {
	bool force, volumes;
};

#define RM(f) struct rm_opts, f
static const struct flg rm_flags[] = {
	FLG_BOOL('f', "force", RM(force), "Force the removal of a running container (uses SIGKILL)"),
	FLG_BOOL('v', "volumes", RM(volumes), "Remove anonymous volumes associated with the container"),
	FLG_END,
};

const struct flg_cmd cli_rm_cmd = {
	.path = "rm",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.desc = "Remove containers",
	.flags = rm_flags,
	.min_args = 1,
	.max_args = -1,
};

/* Docker's CLI asks up to 50 at a time (parallelOperation) */
#define RM_PARALLEL 50

/* One request per container, as Docker's CLI does, up to RM_PARALLEL
 * under way at once: each `rm -f` of a running container is answered
 * once it is gone, and the supervisor removes those that end together
 * with one write of each state file. The answers are printed in the
 * order of the arguments; the command returns when all are gone. */
int cli_rm(const char *root, int argc, char **argv)
{
	struct rm_opts o = { 0 };
	_cleanup_free_ struct client_reply *cr = NULL;
	char *args[5];
	struct flg_out a;
	int n = 0, rc = 0;

	if (flg_verb(&cli_rm_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	args[n++] = "rm";
	if (o.force)
		args[n++] = "-f";
	if (o.volumes)
		args[n++] = "-v";
	cr = calloc(RM_PARALLEL, sizeof(*cr));
	if (!cr)
		return 1;
	for (int i = 0; i < a.argc;) {
		int k = 0;

		for (; k < RM_PARALLEL && i < a.argc; i++) {
			args[n] = a.argv[i];
			args[n + 1] = NULL;
			if (client_send(root, n + 1, args, &cr[k]) < 0)
				rc = 1; /* said on stderr */
			else
				k++;
		}
		for (int j = 0; j < k; j++)
			rc |= client_print(&cr[j]) != 0;
	}
	return rc;
}

void cli_wait_down(const char *root, const char *ref)
{
	char *args[] = { "wait", (char *)ref, NULL };
	struct client_reply cr;

	if (client_send(root, 2, args, &cr) < 0)
		return;
	/* the answer is not needed; a broken one is on stderr already */
	berr_ignore(client_collect(&cr, 15000));
	client_reply_free(&cr);
}

struct stop_opts {
	int time;
};

#define ST(f) struct stop_opts, f
static const struct flg stop_flags[] = {
	FLG_INT('t', "time", ST(time),
		"Seconds to wait before killing it (default: its --stop-timeout, else 10)"),
	FLG_END,
};

const struct flg_cmd cli_stop_cmd = {
	.path = "stop",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.desc = "Stop containers (SIGTERM, then SIGKILL)",
	.flags = stop_flags,
	.min_args = 1,
	.max_args = -1,
};

/* stop returns, as Docker's does, once each container is down: the
 * supervisor's stop sends the signal and arms the SIGKILL deadline, then a
 * wait per container it accepted. */
int cli_stop(const char *root, int argc, char **argv)
{
	struct stop_opts o = { 0 };
	struct client_reply cr;
	struct flg_out a;
	char t[16], **req;
	int n = 0, status;

	if (flg_verb(&cli_stop_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	req = calloc(a.argc + 4, sizeof(*req));
	if (!req)
		return 1;
	req[n++] = "stop";
	if (flg_given(&cli_stop_cmd, &a, "time")) {
		snprintf(t, sizeof(t), "%d", o.time);
		req[n++] = "-t";
		req[n++] = t;
	}
	for (int i = 0; i < a.argc; i++)
		req[n++] = a.argv[i];
	status = client_send(root, n, req, &cr);
	free(req);
	if (status < 0)
		return 1;
	status = client_collect(&cr, 15000);
	for (char *l = cr.out, *nl; status >= 0 && l && *l; l = nl + 1) {
		nl = strchr(l, '\n');
		if (nl)
			*nl = '\0';
		if (strncmp(l, "@err ", 5) == 0) {
			fprintf(stderr, "berth: %s\n", l + 5);
		} else {
			cli_wait_down(root, l);
			printf("%s\n", l);
		}
		if (!nl)
			break;
	}
	client_reply_free(&cr);
	return status < 0 ? 1 : status;
}

/* ---- logs ---- */

struct log_opts {
	bool timestamps, follow;
	const char *tail_arg;
	long tail; /* -1 = all */
};

#define L(f) struct log_opts, f
static const struct flg logs_flags[] = {
	FLG_BOOL('f', "follow", L(follow), "Follow log output"),
	FLG_STRING('n', "tail", L(tail_arg),
		   "Number of lines to show from the end of the logs (default \"all\")"),
	FLG_BOOL('t', "timestamps", L(timestamps), "Show timestamps"),
	FLG_END,
};

const struct flg_cmd cli_logs_cmd = {
	.path = "logs",
	.usage = "[OPTIONS] CONTAINER",
	.desc = "Show a container's output",
	.flags = logs_flags,
	.min_args = 1,
	.max_args = 1,
};

/* Print one stored line "<time> <stream> <text>". */
static void print_line(const struct log_opts *o, const char *line, size_t len)
{
	const char *sp1 = memchr(line, ' ', len);
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (sp1 + 1 - line)) : NULL;
	FILE *to;

	if (!sp2)
		return;
	to = strncmp(sp1 + 1, "stderr", 6) == 0 ? stderr : stdout;
	if (o->timestamps)
		fprintf(to, "%.*s ", (int)(sp1 - line), line);
	fwrite(sp2 + 1, 1, line + len - (sp2 + 1), to);
	fputc('\n', to);
	fflush(to);
}

/* Read the rotated files oldest first into one buffer. */
static char *read_logs(const char *root, const char *id, size_t *len)
{
	char base[600], path[620];
	char *all = NULL;

	*len = 0;
	ctr_log_path(root, id, base, sizeof(base));
	for (int i = HX_LOG_FILES_MAX - 1; i >= 0; i--) { /* whatever max-file was */
		FILE *f;
		char chunk[65536];
		size_t n;

		if (i)
			snprintf(path, sizeof(path), "%s.%d", base, i);
		else
			snprintf(path, sizeof(path), "%s", base);
		f = fopen(path, "re");
		if (!f)
			continue;
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
			char *g = realloc(all, *len + n + 1);
			if (!g)
				break;
			all = g;
			memcpy(all + *len, chunk, n);
			*len += n;
			all[*len] = '\0';
		}
		fclose(f);
	}
	return all;
}

static bool still_running(const char *root, const char *id)
{
	struct ctr_state st;
	struct berr e;

	return ctr_state_load(root, id, &st, &e) == 0 &&
	       (st.status == CTR_RUNNING || st.status == CTR_RESTARTING);
}

/* --log-driver none keeps nothing: Docker's answer. */
static bool logs_unreadable(const char *root, const char *id)
{
	struct ctr_config c;
	struct berr e;
	bool none;

	if (ctr_config_load(root, id, &c, &e) < 0)
		return false;
	none = c.hostx.log_driver == HX_LOG_NONE;
	ctr_config_free(&c);
	if (none)
		fprintf(stderr, "berth: configured logging driver does not support reading\n");
	return none;
}

int cli_logs(const char *root, int argc, char **argv)
{
	struct log_opts o = { .tail_arg = "all" };
	char id[CTR_ID_LEN + 1], path[600];
	struct flg_out a;
	char *all;
	size_t len, off = 0;
	long lines = 0;

	if (flg_verb(&cli_logs_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	o.tail = strcmp(o.tail_arg, "all") == 0 ? -1 : strtol(o.tail_arg, NULL, 10);
	if (cli_find_container(root, a.argv[0], id) < 0 || logs_unreadable(root, id))
		return 1;
	all = read_logs(root, id, &len);
	for (size_t i = 0; all && i < len; i++)
		lines += all[i] == '\n';
	for (size_t i = 0; all && i < len;) {
		char *nl = memchr(all + i, '\n', len - i);
		if (!nl)
			break;
		if (o.tail < 0 || lines <= o.tail)
			print_line(&o, all + i, nl - (all + i));
		lines--;
		i = nl - all + 1;
	}
	free(all);
	if (!o.follow)
		return 0;
	/* Follow the current file from its end until the container stops. */
	ctr_log_path(root, id, path, sizeof(path));
	{
		_cleanup_fd_ int fd = open(path, O_RDONLY | O_CLOEXEC);
		char buf[16384];
		size_t have = 0;

		off = fd >= 0 ? (size_t)lseek(fd, 0, SEEK_END) : 0;
		for (;;) {
			bool running = still_running(root, id);
			ssize_t n;

			while (fd >= 0 && (n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
				char *start = buf, *nl;
				have += n;
				while ((nl = memchr(start, '\n', have - (start - buf)))) {
					print_line(&o, start, nl - start);
					start = nl + 1;
				}
				have -= start - buf;
				memmove(buf, start, have);
				if (have == sizeof(buf) - 1)
					have = 0;
			}
			if (!running)
				break;
			usleep(100000);
		}
		(void)off;
	}
	return 0;
}

/* ---- inspect ---- */

static json_t *strv_json(char **v, int skip)
{
	json_t *a = json_array();

	for (int i = 0; v && v[i]; i++) {
		if (i >= skip)
			json_array_append_new(a, json_string(v[i]));
	}
	return a;
}

static json_t *ports_json(const struct ctr_state *s);

/* Docker's NetworkSettings: the address while on a bridge, and the
 * networks it is on (none for container:). */
static json_t *network_settings(const char *root, const struct ctr_config *c,
				const struct ctr_state *s)
{
	const char *mode = c->network ? c->network : "none";
	json_t *nets = json_object();

	if (strncmp(mode, "container:", 10) != 0) /* bridge, host, none, a user network */
		json_object_set_new(nets, mode,
				    json_pack("{s:s, s:i, s:s, s:s}", "IPAddress", s->ip,
					      "IPPrefixLen", s->ip_prefix, "Gateway", s->gateway,
					      "MacAddress", s->mac));
	cli_network_xnets_json(root, c, s, nets);
	return json_pack("{s:s, s:i, s:s, s:s, s:o, s:o}", "IPAddress", s->ip, "IPPrefixLen",
			 s->ip_prefix, "Gateway", s->gateway, "MacAddress", s->mac, "Networks",
			 nets, "Ports", ports_json(s));
}

/* Docker's {"80/tcp": [{"HostIp": "0.0.0.0", "HostPort": "8080"}]}: the
 * host ports picked at the start, while it runs. */
static json_t *ports_json(const struct ctr_state *s)
{
	json_t *o = json_object();
	struct port_map m[PORTS_MAX];
	char key[16], host[8];
	int n = s->status == CTR_RUNNING ? port_list_parse(s->ports, m, PORTS_MAX) : 0;

	for (int i = 0; i < n; i++) {
		json_t *a;

		snprintf(key, sizeof(key), "%u/%s", m[i].ctr, m[i].udp ? "udp" : "tcp");
		snprintf(host, sizeof(host), "%u", m[i].host);
		a = json_object_get(o, key);
		if (!a) {
			a = json_array();
			json_object_set_new(o, key, a);
		}
		json_array_append_new(a, json_pack("{s:s, s:s}", "HostIp", m[i].ip, "HostPort", host));
	}
	return o;
}

const struct flg_cmd cli_port_cmd = {
	.path = "port",
	.usage = "CONTAINER [PRIVATE_PORT[/PROTO]]",
	.desc = "List port mappings or a specific mapping for the container",
	.min_args = 1,
	.max_args = 2,
};

/* PRIVATE_PORT[/PROTO] (tcp when not given) into *port, *udp; -1 if bad. */
static int port_arg(const char *arg, unsigned *port, bool *udp)
{
	char *end;
	unsigned long p = strtoul(arg, &end, 10);

	*udp = strcmp(end, "/udp") == 0;
	if (end == arg || p == 0 || p > 65535 || (*end && !*udp && strcmp(end, "/tcp") != 0))
		return -1;
	*port = p;
	return 0;
}

/* The bindings in force (none unless it runs, as Docker), all of them or
 * those of one container port. */
static int print_ports(const struct ctr_state *s, const char *ref, const char *arg)
{
	struct port_map m[PORTS_MAX];
	int n = s->status == CTR_RUNNING ? port_list_parse(s->ports, m, PORTS_MAX) : 0, shown = 0;
	unsigned want = 0;
	bool udp = false;

	if (arg && port_arg(arg, &want, &udp) < 0) {
		fprintf(stderr, "berth: Invalid port: %s\n", arg);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		if (!arg)
			printf("%u/%s -> %s:%u\n", m[i].ctr, m[i].udp ? "udp" : "tcp", m[i].ip,
			       m[i].host);
		else if (m[i].ctr == want && m[i].udp == udp && ++shown)
			printf("%s:%u\n", m[i].ip, m[i].host);
	}
	if (arg && !shown) {
		fprintf(stderr, "berth: No public port '%u/%s' published for %s\n", want,
			udp ? "udp" : "tcp", ref);
		return 1;
	}
	return 0;
}

int cli_port(const char *root, int argc, char **argv)
{
	char id[CTR_ID_LEN + 1];
	struct ctr_state s;
	struct flg_out a;
	struct berr e;

	if (flg_verb(&cli_port_cmd, NULL, argc, argv, &a) < 0)
		return a.status;
	if (cli_find_container(root, a.argv[0], id) < 0)
		return 1;
	if (ctr_state_load(root, id, &s, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return 1;
	}
	return print_ports(&s, a.argv[0], a.argc > 1 ? a.argv[1] : NULL);
}

static json_t *inspect_json(const char *root, const struct ctr_config *c,
			    const struct ctr_state *s)
{
	json_t *j;
	char created[64], started[64], finished[64], logpath[600];
	json_t *mounts = json_array(), *binds = json_array();
	struct rp_policy rp;
	struct berr e;

	/* A policy that no longer parses shows as "no". */
	if (rp_parse(c->restart, &rp, &e) < 0)
		rp = (struct rp_policy){ RP_NO, 0 };
	iso_time_ns(c->created_ns, created, sizeof(created));
	iso_time_ns(s->started_ns, started, sizeof(started));
	iso_time_ns(s->finished_ns, finished, sizeof(finished));
	ctr_log_path(root, c->id, logpath, sizeof(logpath));
	for (int i = 0; i < c->nmounts; i++) {
		const struct ctr_mount *m = &c->mounts[i];
		char bind[8192];

		snprintf(bind, sizeof(bind), "%s:%s%s", m->name ? m->name : m->source, m->target,
			 m->read_only ? ":ro" : "");
		if (!m->anonymous)
			json_array_append_new(binds, json_string(bind));
		if (m->name)
			json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:b, s:s}",
								"Type", "volume", "Name", m->name,
								"Source", m->source, "Destination",
								m->target, "Driver", "local", "Mode",
								m->read_only ? "ro" : "z", "RW",
								!m->read_only, "Propagation", ""));
		else
			json_array_append_new(mounts, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s}", "Type",
								"bind", "Source", m->source,
								"Destination", m->target, "Mode",
								m->read_only ? "ro" : "", "RW",
								!m->read_only, "Propagation", "rprivate"));
	}
	j = json_pack(
		"{s:s, s:s, s:s, s:o, s:{s:s, s:b, s:b, s:b, s:b, s:b, s:i, s:i, s:s, s:s, s:s},"
		" s:s, s:s, s:s, s:i, s:o,"
		" s:{s:I, s:I, s:I, s:I, s:I, s:s, s:b, s:b, s:{s:s, s:i}, s:s, s:b, s:o},"
		" s:{s:s, s:s, s:o, s:o, s:s, s:s, s:b, s:b}}",
		"Id", c->id, "Created", created, "Path", c->argv[0], "Args", strv_json(c->argv, 1),
		"State", "Status", ctr_state_name(s), "Running",
		s->status == CTR_RUNNING || s->status == CTR_RESTARTING, "Paused", s->paused, "Restarting", s->status == CTR_RESTARTING,
		"OOMKilled", s->oom_killed, "Dead", 0, "Pid", (int)s->pid, "ExitCode", s->exit_code,
		"Error", s->error, "StartedAt", started, "FinishedAt", finished,
		"Image", c->image_id ? c->image_id : "", "Name", "", "LogPath", logpath,
		"RestartCount", s->restart_count, "Mounts", mounts,
		"HostConfig", "Memory", (json_int_t)c->limits.memory, "MemorySwap",
		(json_int_t)c->limits.memory_swap, "NanoCpus",
		(json_int_t)(c->limits.cpu_period_us
				     ? c->limits.cpu_quota_us * 1000000000ll / c->limits.cpu_period_us
				     : 0),
		"CpuShares", (json_int_t)c->limits.cpu_shares, "PidsLimit",
		(json_int_t)c->limits.pids, "CpusetCpus", c->cpuset ? c->cpuset : "", "Privileged",
		c->privileged, "ReadonlyRootfs", c->read_only, "RestartPolicy", "Name",
		rp_name(rp.kind), "MaximumRetryCount", rp.max_retries, "NetworkMode", c->network ? c->network : "none",
		"AutoRemove", c->auto_remove, "Binds", binds,
		"Config", "Hostname", c->hostname ? c->hostname : "", "User", c->user ? c->user : "",
		"Env", strv_json(c->env, 0), "Cmd", strv_json(c->argv, 0), "Image",
		c->image ? c->image : "", "WorkingDir", c->cwd ? c->cwd : "", "Tty", c->tty,
		"OpenStdin", c->interactive);
	if (j)
		json_object_set_new(j, "NetworkSettings", network_settings(root, c, s));
	if (j) {
		json_t *labels = json_object();
		for (char **l = c->labels; l && *l; l++) {
			char *eq = strchr(*l, '='), key[256];
			snprintf(key, sizeof(key), "%.*s", eq ? (int)(eq - *l) : (int)strlen(*l), *l);
			json_object_set_new(labels, key, json_string(eq ? eq + 1 : ""));
		}
		json_object_set_new(json_object_get(j, "Config"), "Labels", labels);
	}
	if (j) { /* --dns, --tmpfs, --ulimit, ... with Docker's names */
		json_t *stop = NULL, *hx = hx_to_json(&c->hostx, &stop);

		json_object_update(json_object_get(j, "HostConfig"), hx);
		json_decref(hx);
		if (stop)
			json_object_set_new(json_object_get(j, "Config"), "StopSignal", stop);
	}
	if (j && c->health.test)
		json_object_set_new(json_object_get(j, "Config"), "Healthcheck",
				    hc_to_json(&c->health));
	if (j && s->health && s->health->status != HC_NONE)
		json_object_set_new(json_object_get(j, "State"), "Health", ctr_health_json(s->health));
	return j;
}

struct inspect_opts {
	const char *format, *type;
};

#define IN(f) struct inspect_opts, f
static const struct flg inspect_flags[] = {
	FLG_STRING('f', "format", IN(format), "Format output using a Go template"),
	FLG_STRING(0, "type", IN(type), "Return JSON for the specified type (only container)"),
	FLG_END,
};

const struct flg_cmd cli_inspect_cmd = {
	.path = "inspect",
	.usage = "[OPTIONS] CONTAINER [CONTAINER...]",
	.desc = "Show a container's details",
	.flags = inspect_flags,
	.min_args = 1,
	.max_args = -1,
};

/* One container's JSON into out; -1 after printing the error. */
static int inspect_one(const char *root, const char *ref, json_t *out)
{
	static struct hc_state health;
	char id[CTR_ID_LEN + 1], name[CTR_NAME_MAX + 1];
	struct ctr_config c;
	struct ctr_state s;
	struct berr e;
	json_t *j;

	if (cli_find_container(root, ref, id) < 0)
		return -1;
	if (ctr_config_load(root, id, &c, &e) < 0 || ctr_state_load(root, id, &s, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return -1;
	}
	if (ctr_health_load(root, id, &health, &e) == 0 && health.status != HC_NONE)
		s.health = &health;
	j = inspect_json(root, &c, &s);
	snprintf(name, sizeof(name), "/%s", c.name);
	if (j)
		json_object_set_new(j, "Name", json_string(name));
	ctr_config_free(&c);
	if (!j) {
		fprintf(stderr, "berth: inspect %s: out of memory\n", ref);
		return -1;
	}
	json_array_append_new(out, j);
	return 0;
}

int cli_inspect(const char *root, int argc, char **argv)
{
	struct inspect_opts o = { 0 };
	const char *format;
	struct flg_out a;
	json_t *out;
	int rc = 0;

	if (flg_verb(&cli_inspect_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	if (o.type && strcmp(o.type, "container") != 0)
		return flg_fail(&cli_inspect_cmd, "\"%s\" is not a valid value for --type", o.type);
	format = o.format;
	out = json_array();
	for (int i = 0; i < a.argc; i++) {
		if (inspect_one(root, a.argv[i], out) < 0)
			rc = 1;
	}
	if (format) {
		if (tmpl_print(format, out, NULL) != 0)
			rc = 1;
	} else {
		char *text = json_dumps(out, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
		if (text)
			printf("%s\n", text);
		free(text);
	}
	json_decref(out);
	return rc;
}
