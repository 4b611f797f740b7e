/* cli_info.c - `berth info [--format]` (cli_volume.h): Docker's summary of
 * the containers, images and host, gathered into one object with
 * Docker's field names (ServerVersion, ContainersRunning, NCPU, MemTotal,
 * ...) for `--format '{{.ServerVersion}}'` and `{{json .}}`; the
 * supervisor's own lines (Mode, Data disk, Recovered Faults) follow the
 * text form. */
#include "cli_volume.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "client.h"
#include "runtime/image/image.h"
#include "runtime/lib/file.h"
#include "runtime/lib/proto.h"
#include "runtime/lib/template.h"

struct info_opts {
	const char *format;
};

#define IO(f) struct info_opts, f
static const struct flg info_flags[] = {
	FLG_STRING('f', "format", IO(format),
		   "Format output using a custom template: 'json' or a Go template"),
	FLG_END,
};

const struct flg_cmd cli_info_cmd = {
	.path = "info",
	.usage = "[OPTIONS]",
	.desc = "Show containers, images, the host and the data disk",
	.flags = info_flags,
};

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

/* Containers, running, paused and stopped (n[0..3]) from the
 * supervisor's ps rows. */
static void count_containers(char *rows, int n[4])
{
	char *save = NULL;

	for (char *l = strtok_r(rows, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *w[12];
		struct berr e;

		if (proto_split(l, w, 12, &e) < 7)
			continue;
		n[0]++;
		n[strcmp(w[6], "paused") == 0		   ? 2
		  : strcmp(w[6], "running") == 0 || strcmp(w[6], "restarting") == 0 ? 1
										     : 3]++;
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

static json_t *os_name(void)
{
	char text[4096], *save = NULL;

	if (read_file("/etc/os-release", text, sizeof(text)) < 0)
		return json_string("unknown (no /etc/os-release)");
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (strncmp(l, "PRETTY_NAME=", 12) == 0) {
			char *v = l + 12;
			size_t n = strlen(v);

			if (n >= 2 && v[0] == '"' && v[n - 1] == '"')
				return json_stringn(v + 1, n - 2);
			return json_string(v);
		}
	}
	return json_string("unknown (no /etc/os-release)");
}

/* The supervisor's "Key: value" lines: ServerVersion and DockerRootDir
 * under Docker's names, all of them kept for the text form. */
static void supervisor_fields(const char *sup, json_t *info)
{
	const char *l = sup;

	while (l && *l) {
		const char *nl = strchr(l, '\n'), *colon = strchr(l, ':');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);

		if (colon && colon < l + n) {
			const char *key = strncmp(l, "Server Version:", 15) == 0   ? "ServerVersion"
					  : strncmp(l, "Berth Root Dir:", 15) == 0 ? "DockerRootDir"
										   : NULL;

			if (key)
				json_object_set_new(info, key,
						    json_stringn(colon + 2, l + n - colon - 2));
		}
		l = nl ? nl + 1 : NULL;
	}
}

static json_t *gather(const char *root, const char *sup)
{
	char *rows = ask_text(root, "ps-rows");
	int n[4] = { 0 };
	struct utsname u;
	struct sysinfo si;
	json_t *info;

	if (rows)
		count_containers(rows, n);
	free(rows);
	uname(&u);
	sysinfo(&si);
	info = json_pack("{s:i, s:i, s:i, s:i, s:i, s:s, s:s, s:s, s:o, s:s, s:s, s:I, s:I, s:s}",
			 "Containers", n[0], "ContainersRunning", n[1], "ContainersPaused", n[2],
			 "ContainersStopped", n[3], "Images", count_images(root), "Driver", "overlay",
			 "CgroupVersion",
			 access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ? "2" : "1",
			 "KernelVersion", u.release, "OperatingSystem", os_name(), "OSType", "linux",
			 "Architecture", u.machine, "NCPU", (json_int_t)sysconf(_SC_NPROCESSORS_ONLN),
			 "MemTotal", (json_int_t)si.totalram * si.mem_unit, "Name", u.nodename);
	if (info)
		supervisor_fields(sup, info);
	return info;
}

static void print_text(json_t *info, const char *sup)
{
#define I(k) (int)json_integer_value(json_object_get(info, k))
#define S(k) json_string_value(json_object_get(info, k))
	printf("Containers: %d\n Running: %d\n Paused: %d\n Stopped: %d\n", I("Containers"),
	       I("ContainersRunning"), I("ContainersPaused"), I("ContainersStopped"));
	printf("Images: %d\nStorage Driver: %s\nCgroup Version: %s\n", I("Images"), S("Driver"),
	       S("CgroupVersion"));
	printf("Kernel Version: %s\nOperating System: %s\nOSType: %s\nArchitecture: %s\n",
	       S("KernelVersion"), S("OperatingSystem"), S("OSType"), S("Architecture"));
	printf("CPUs: %d\nTotal Memory: %.1fMiB\nName: %s\n", I("NCPU"),
	       (double)json_integer_value(json_object_get(info, "MemTotal")) / (1024.0 * 1024.0),
	       S("Name"));
	/* Server Version, Mode, Data disk, Berth Root Dir: the supervisor's part */
	printf("%s", sup);
#undef I
#undef S
}

int cli_info(const char *root, int argc, char **argv)
{
	struct info_opts o = { 0 };
	struct flg_out a;
	json_t *info, *rows;
	char *sup;
	int rc = 0;

	if (flg_verb(&cli_info_cmd, &o, argc, argv, &a) < 0)
		return a.status;
	sup = ask_text(root, "info");
	if (!sup) {
		fprintf(stderr, "berth: the supervisor does not answer (is berth running?)\n");
		return 1;
	}
	info = gather(root, sup);
	if (!info)
		rc = 1;
	else if (o.format && *o.format) {
		rows = json_pack("[O]", info);
		rc = rows ? tmpl_print(o.format, rows, NULL) : 1;
		json_decref(rows);
	} else
		print_text(info, sup);
	json_decref(info);
	free(sup);
	return rc;
}
