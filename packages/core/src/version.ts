export const SCAN2PRINT_VERSION = '0.1.0';
