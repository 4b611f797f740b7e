/* cli_volume.c - volumes from the CLI: the verbs, the in-use check over
 * the containers' configs, the mounts `run` asks for; and `berth info`. */
#include "cli_volume.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "client.h"
#include "runtime/image/image.h"
#include "runtime/lib/merge.h"
#include "runtime/lib/proto.h"
#include "runtime/lib/template.h"
#include "runtime/lib/util.h"
#include "runtime/container/volume.h"

/* IDs of the containers (any state) that mount volume name. */
static void volume_users(const char *root, const char *name, struct strv *ids)
{
	char dir[600];
	DIR *d;
	struct dirent *de;

	snprintf(dir, sizeof(dir), "%s/run/berth/containers", root);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct ctr_config c;
		struct berr e;

		if (strlen(de->d_name) != CTR_ID_LEN ||
		    ctr_config_load(root, de->d_name, &c, &e) < 0)
			continue;
		for (int i = 0; i < c.nmounts; i++) {
			if (c.mounts[i].name && strcmp(c.mounts[i].name, name) == 0) {
				strv_add(ids, c.id);
				break;
			}
		}
		ctr_config_free(&c);
	}
	closedir(d);
}

static int vol_cmd_create(const char *root, int argc, char **argv)
{
	const char *name = NULL;
	char out[VOL_NAME_MAX];
	bool created;
	struct berr e;

	for (int i = 2; i < argc; i++) {
		if ((strcmp(argv[i], "-d") == 0 || strcmp(argv[i], "--driver") == 0) &&
		    i + 1 < argc) {
			if (strcmp(argv[++i], "local") != 0) {
				fprintf(stderr, "berth: plugin \"%s\" not found (only the local "
						"driver exists)\n", argv[i]);
				return 1;
			}
		} else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc && !name) {
			name = argv[++i];
		} else if (argv[i][0] != '-' && !name) {
			name = argv[i];
		} else {
			fprintf(stderr, "berth: volume create: unexpected argument %s\n"
					"Usage: berth volume create [-d local] [NAME]\n", argv[i]);
			return 1;
		}
	}
	if (vol_create(root, name, false, out, &created, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return 1;
	}
	printf("%s\n", out);
	return 0;
}

static int vol_cmd_ls(const char *root, int argc, char **argv)
{
	bool quiet = argc > 2 && (strcmp(argv[2], "-q") == 0 || strcmp(argv[2], "--quiet") == 0);
	char **names;
	int n;
	struct berr e;

	if (argc > 2 + quiet) {
		fprintf(stderr, "berth: volume ls: unexpected argument %s\n"
				"Usage: berth volume ls [-q]\n", argv[2 + quiet]);
		return 1;
	}
	if (vol_list(root, &names, &n, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return 1;
	}
	if (!quiet)
		printf("%-9s %s\n", "DRIVER", "VOLUME NAME");
	for (int i = 0; i < n; i++) {
		if (quiet)
			printf("%s\n", names[i]);
		else
			printf("%-9s %s\n", "local", names[i]);
	}
	vol_names_free(names, n);
	return 0;
}

static json_t *vol_json(const struct vol_info *v)
{
	json_t *j = json_object();

	json_object_set_new(j, "CreatedAt", json_string(v->created_at));
	json_object_set_new(j, "Driver", json_string("local"));
	json_object_set_new(j, "Labels", v->anonymous ? json_pack("{s:s}", "com.docker.volume.anonymous", "") : json_null());
	json_object_set_new(j, "Mountpoint", json_string(v->mountpoint));
	json_object_set_new(j, "Name", json_string(v->name));
	json_object_set_new(j, "Options", json_null());
	json_object_set_new(j, "Scope", json_string("local"));
	return j;
}

static int vol_cmd_inspect(const char *root, int argc, char **argv)
{
	const char *fmt = NULL;
	json_t *all = json_array();
	int rc = 0, i = 2;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if ((strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--format") == 0) && i + 1 < argc)
			fmt = argv[++i];
		else if (strncmp(argv[i], "--format=", 9) == 0)
			fmt = argv[i] + 9;
		else {
			fprintf(stderr, "berth: volume inspect: unknown flag %s\n", argv[i]);
			return 1;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "berth: \"volume inspect\" requires at least 1 argument.\n");
		return 1;
	}
	for (; i < argc; i++) {
		struct vol_info v;
		struct berr e;

		if (vol_inspect(root, argv[i], &v, &e) < 0) {
			fprintf(stderr, "berth: %s\n", e.msg);
			rc = 1;
			continue;
		}
		if (fmt) {
			json_t *j = vol_json(&v);
			char *out = NULL;
			size_t len = 0;

			if (tmpl_render(fmt, j, &out, &len, &e) < 0) {
				fprintf(stderr, "berth: template: %s\n", e.msg);
				rc = 1;
			} else {
				printf("%.*s\n", (int)len, out);
			}
			free(out);
			json_decref(j);
		} else {
			json_array_append_new(all, vol_json(&v));
		}
	}
	if (!fmt) {
		char *text = json_dumps(all, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
		printf("%s\n", text ? text : "[]");
		free(text);
	}
	json_decref(all);
	return rc;
}

static int vol_cmd_rm(const char *root, int argc, char **argv)
{
	int rc = 0, i = 2;

	/* -f: no error for a missing volume (it never overrides "in use") */
	bool force = false;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-f") == 0 || strcmp(argv[i], "--force") == 0)
			force = true;
		else {
			fprintf(stderr, "berth: volume rm: unknown flag %s\n", argv[i]);
			return 1;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "berth: \"volume rm\" requires at least 1 argument.\n");
		return 1;
	}
	for (; i < argc; i++) {
		struct strv users = { 0 };
		struct berr e;

		if (!vol_exists(root, argv[i])) {
			if (!force) {
				fprintf(stderr, "berth: get %s: no such volume\n", argv[i]);
				rc = 1;
			}
			continue;
		}
		volume_users(root, argv[i], &users);
		if (users.n) {
			fprintf(stderr, "berth: remove %s: volume is in use - [", argv[i]);
			for (int k = 0; k < users.n; k++)
				fprintf(stderr, "%s%s", k ? ", " : "", users.v[k]);
			fprintf(stderr, "]\n");
			strv_free(&users);
			rc = 1;
			continue;
		}
		if (vol_remove(root, argv[i], &e) < 0) {
			fprintf(stderr, "berth: %s\n", e.msg);
			rc = 1;
			continue;
		}
		printf("%s\n", argv[i]);
	}
	return rc;
}

int cli_volume(const char *root, int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "";

	if (strcmp(sub, "create") == 0)
		return vol_cmd_create(root, argc, argv);
	if (strcmp(sub, "ls") == 0 || strcmp(sub, "list") == 0)
		return vol_cmd_ls(root, argc, argv);
	if (strcmp(sub, "inspect") == 0)
		return vol_cmd_inspect(root, argc, argv);
	if (strcmp(sub, "rm") == 0 || strcmp(sub, "remove") == 0)
		return vol_cmd_rm(root, argc, argv);
	fprintf(stderr, "%s%s%s"
			"Usage: berth volume COMMAND\n"
			"  create [NAME]            Create a volume\n"
			"  ls [-q]                  List volumes\n"
			"  inspect [-f T] NAME...   Show volumes' details\n"
			"  rm [-f] NAME...          Remove volumes (not while a container uses them)\n",
		*sub ? "berth: unknown volume command: " : "", sub, *sub ? "\n" : "");
	return *sub || argc > 1 ? 1 : 0;
}

/* ---- run's mounts ---- */

static int add_mount(struct ctr_config *c, const char *source, const char *target, bool ro,
		     const char *name, bool anonymous, bool nocopy)
{
	struct ctr_mount *m = &c->mounts[c->nmounts];

	for (int i = 0; i < c->nmounts; i++) {
		if (strcmp(c->mounts[i].target, target) == 0) {
			fprintf(stderr, "berth: Duplicate mount point: %s\n", target);
			return -1;
		}
	}
	m->source = strdup(source);
	m->target = strdup(target);
	m->read_only = ro;
	m->name = name ? strdup(name) : NULL;
	m->anonymous = anonymous;
	m->nocopy = nocopy;
	c->nmounts++;
	if (!m->source || !m->target || (name && !m->name)) {
		fprintf(stderr, "berth: out of memory\n");
		return -1;
	}
	return 0;
}

static int add_volume(const char *root, struct ctr_config *c, const char *name,
		      const char *target, bool ro, bool nocopy)
{
	char out[VOL_NAME_MAX], data[VOL_PATH_MAX];
	bool created;
	struct berr e;

	if (vol_create(root, name, !name, out, &created, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return -1;
	}
	vol_data_path(root, out, data, sizeof(data));
	return add_mount(c, data, target, ro, out, !name, nocopy);
}

static bool covered(const struct ctr_config *c, const char *path)
{
	char norm[VOL_PATH_MAX];

	snprintf(norm, sizeof(norm), "%s", path);
	for (size_t l = strlen(norm); l > 1 && norm[l - 1] == '/'; l--)
		norm[l - 1] = '\0';
	for (int i = 0; i < c->nmounts; i++) {
		if (strcmp(c->mounts[i].target, norm) == 0)
			return true;
	}
	return false;
}

int cli_volume_mounts(const char *root, char *const *specs, int n, char *const *image_volumes,
		      struct ctr_config *c)
{
	int nimg = 0;
	struct vol_spec *v = malloc(sizeof(*v));
	struct strv targets = { 0 };
	struct berr e;
	int r = 0;

	for (char *const *p = image_volumes; p && *p; p++)
		nimg++;
	c->mounts = calloc(n + nimg + 1, sizeof(*c->mounts));
	if (!c->mounts || !v) {
		free(v);
		fprintf(stderr, "berth: out of memory\n");
		return -1;
	}
	/* Parse all first: a bad spec creates no volume. */
	for (int i = 0; i < n && r == 0; i++) {
		if (vol_spec_parse(specs[i], v, &e) < 0) {
			fprintf(stderr, "berth: %s\n", e.msg);
			r = -1;
			break;
		}
		for (int k = 0; k < targets.n; k++) {
			if (strcmp(targets.v[k], v->target) == 0) {
				fprintf(stderr, "berth: Duplicate mount point: %s\n", v->target);
				r = -1;
			}
		}
		strv_add(&targets, v->target);
	}
	strv_free(&targets);
	for (int i = 0; i < n && r == 0; i++) {
		vol_spec_parse(specs[i], v, &e);
		if (v->kind == VOL_BIND)
			r = add_mount(c, v->source, v->target, v->read_only, NULL, false, false);
		else
			r = add_volume(root, c, v->kind == VOL_NAMED ? v->source : NULL, v->target,
				       v->read_only, v->nocopy);
	}
	/* The image's VOLUMEs that -v did not cover: anonymous volumes. */
	for (char *const *p = image_volumes; p && *p && r == 0; p++) {
		if ((*p)[0] != '/' || covered(c, *p))
			continue;
		if (vol_spec_parse(*p, v, &e) < 0) {
			fprintf(stderr, "berth: image VOLUME %s: %s\n", *p, e.msg);
			r = -1;
		} else {
			r = add_volume(root, c, NULL, v->target, false, false);
		}
	}
	free(v);
	return r;
}

void cli_volume_forget_anon(const char *root, const struct ctr_config *c)
{
	struct berr e;

	for (int i = 0; i < c->nmounts; i++) {
		if (c->mounts[i].anonymous && c->mounts[i].name &&
		    vol_remove(root, c->mounts[i].name, &e) < 0)
			fprintf(stderr, "berth: %s\n", e.msg);
	}
}

/* ---- info ---- */

static char *ask_text(const char *root, char *verb)
{
	char *args[] = { verb, NULL };
	struct client_reply cr;
	char *text = NULL;

	if (client_send(root, 1, args, &cr) < 0)
		return NULL;
	if (client_collect(&cr, 15000) == 0 && cr.out)
		text = strdup(cr.out);
	client_reply_free(&cr);
	return text;
}

static void count_containers(char *rows, int *total, int *running)
{
	char *save = NULL;

	for (char *l = strtok_r(rows, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *w[12];
		struct berr e;
		int n = proto_split(l, w, 12, &e);

		if (n < 7)
			continue;
		(*total)++;
		if (strcmp(w[6], "running") == 0 || strcmp(w[6], "restarting") == 0)
			(*running)++;
	}
}

static int count_images(const char *root)
{
	struct img_summary *s = NULL;
	size_t n = 0;
	struct berr e;
	int uniq = 0;

	if (img_list(root, &s, &n, &e) < 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		size_t k = 0;

		while (k < i && strcmp(s[k].id, s[i].id) != 0)
			k++;
		uniq += k == i;
	}
	free(s);
	return uniq;
}

static void os_name(char *buf, size_t size)
{
	char text[4096], *save = NULL;

	snprintf(buf, size, "unknown (no /etc/os-release)");
	if (read_file("/etc/os-release", text, sizeof(text)) < 0)
		return;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "PRETTY_NAME=", 12) == 0) {
			char *v = l + 12;
			size_t n = strlen(v);

			if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
				v[n - 1] = '\0';
				v++;
			}
			snprintf(buf, size, "%s", v);
		}
	}
}

int cli_info(const char *root, int argc, char **argv)
{
	char *sup, *rows, os[256];
	int total = 0, running = 0;
	struct utsname u;
	struct sysinfo si;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "berth: \"info\" accepts no arguments.\n");
		return 1;
	}
	sup = ask_text(root, "info");
	if (!sup) {
		fprintf(stderr, "berth: the supervisor does not answer (is berth running?)\n");
		return 1;
	}
	rows = ask_text(root, "ps-rows");
	if (rows)
		count_containers(rows, &total, &running);
	free(rows);
	uname(&u);
	sysinfo(&si);
	os_name(os, sizeof(os));
	printf("Containers: %d\n Running: %d\n Paused: 0\n Stopped: %d\n", total, running,
	       total - running);
	printf("Images: %d\n", count_images(root));
	printf("Storage Driver: overlay\n");
	printf("Cgroup Version: %s\n",
	       access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ? "2" : "1");
	printf("Kernel Version: %s\n", u.release);
	printf("Operating System: %s\n", os);
	printf("OSType: linux\nArchitecture: %s\n", u.machine);
	printf("CPUs: %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
	printf("Total Memory: %.1fMiB\n",
	       (double)si.totalram * si.mem_unit / (1024.0 * 1024.0));
	printf("Name: %s\n", u.nodename);
	/* Server Version, Mode, Data disk, Berth Root Dir: the supervisor's part */
	printf("%s", sup);
	free(sup);
	return 0;
}
