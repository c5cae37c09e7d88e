/* a module that is no pxl plugin at all: pxl must name it and skip it */
int not_a_plugin(void);

int not_a_plugin(void)
{
	return 0;
}
