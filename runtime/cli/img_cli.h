/* img_cli.h - the image verbs of the CLI (thin wrappers over image.h).
 * Each has the verbs[] `local` signature of main.c and returns the exit
 * code. */
#ifndef BERTH_IMG_CLI_H
#define BERTH_IMG_CLI_H

/* The build verbs (`build`, `commit`, `builder`) are image verbs too. */
#include "cli_build.h"
#include "flags.h"

/* The verbs' flags, Usage and help (flags.h), for main.c's verb table. */
extern const struct flg_cmd img_image_cmd, img_images_cmd, img_import_cmd, img_load_cmd, img_tag_cmd,
    img_rmi_cmd, img_history_cmd, img_save_cmd;

int img_cmd_import(const char *root, int argc, char **argv);
int img_cmd_load(const char *root, int argc, char **argv);
int img_cmd_images(const char *root, int argc, char **argv);
int img_cmd_tag(const char *root, int argc, char **argv);
int img_cmd_rmi(const char *root, int argc, char **argv);

int img_cmd_history(const char *root, int argc, char **argv);
int img_cmd_image_inspect(const char *root, int argc, char **argv);
int img_cmd_save(const char *root, int argc, char **argv);
int img_cmd_image(const char *root, int argc, char **argv);

#endif
