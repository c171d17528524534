// The case workflow (issue 11): states, gates, the transition table and its pure rules.
export * from './states.js';
export * from './transitions.js';
