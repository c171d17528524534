// The anatomical graph and structure identification (issue 14).
export {};
