/** Service version reported in health and ops answers. */
export const VERSION = '0.1.0';
