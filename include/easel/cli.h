/* cli: one entry point per command (src/cli/, one file each). argv[0] is the command's name;
 * each returns an exit code of enum ea_exit and handles its own --help. */
#ifndef EASEL_CLI_H
#define EASEL_CLI_H

int ea_cmd_generate(int argc, char **argv);
int ea_cmd_sessions(int argc, char **argv);
int ea_cmd_log(int argc, char **argv);
int ea_cmd_show(int argc, char **argv);
int ea_cmd_export(int argc, char **argv);
int ea_cmd_doctor(int argc, char **argv);
int ea_cmd_mock(int argc, char **argv);

#endif
