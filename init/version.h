/* version.h - set by build.sh from git; a plain build says "dev". */
#ifndef BERTH_VERSION_H
#define BERTH_VERSION_H
#ifndef BERTH_VERSION
#define BERTH_VERSION "dev"
#endif
#endif
