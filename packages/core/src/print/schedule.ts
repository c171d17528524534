// Filled by the print-preparation work of issue 12 (schedule).
export {};
