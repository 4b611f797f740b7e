/* cli_run_pull.c - `run`/`create --pull missing|always|never`: Docker's
 * image pull before the container is made (default missing: an image not
 * in the store is pulled). The pull's output goes to stderr, as Docker's. */
#include "cli_run_priv.h"

#include <stdio.h>
#include <string.h>

#include "runtime/image/image.h"
#include "runtime/registry/pull.h"

int cli_run_pull(const char *root, const char *policy, const char *platform, const char *image,
		 struct img_info *info)
{
	struct reg_pull_opts po = { .platform = platform, .out = stderr };
	char id[DG_STR_LEN];
	bool present;
	struct berr e;

	if (!policy)
		policy = "missing";
	if (strcmp(policy, "missing") && strcmp(policy, "always") && strcmp(policy, "never")) {
		fprintf(stderr, "berth: invalid pull option: '%s': must be one of \"always\", "
				"\"missing\" or \"never\"\n",
			policy);
		return 125;
	}
	present = img_resolve(root, image, info, &e) == 0;
	if (present && strcmp(policy, "always"))
		return 0;
	if (present)
		img_info_free(info);
	if (!present && strcmp(policy, "never")) {
		char name[600];
		snprintf(name, sizeof(name), "%s%s", image,
			 strchr(strrchr(image, '/') ? strrchr(image, '/') : image, ':') ||
				 strchr(image, '@')
			     ? ""
			     : ":latest");
		fprintf(stderr, "Unable to find image '%s' locally\n", name);
	}
	if (strcmp(policy, "never") && reg_pull(root, image, &po, id, &e) < 0) {
		fprintf(stderr, "berth: %s\n", e.msg);
		return 125;
	}
	if (img_resolve(root, image, info, &e) < 0) {
		fprintf(stderr, "berth: Unable to find image '%s' locally: %s\n", image, e.msg);
		return 125;
	}
	return 0;
}
