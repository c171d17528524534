// Each module that runs slabs on the pool adds one import line here.
export {};
