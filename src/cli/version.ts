// Kept in step with package.json by a test (reading package.json at start would cost a file read).
export const VERSION = '0.1.0';
