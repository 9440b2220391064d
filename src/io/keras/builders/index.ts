// Loads every builder file, so their classes are in the registry.
import './core.js';
import './conv.js';
import './recurrent.js';
import './keras1.js';
import './attention.js';
import './extra.js';
