/** Every driver family xc connects through (db/driver.ts DriverFamily), in the order a connection object is recognised. */
import type { DriverFamily } from '../db/driver.js';
import { mysqlDriver } from './mysql/driver.js';
import { postgresDriver } from './postgres/driver.js';
import { pgliteDriver } from './postgres/pglite.js';

export const DRIVER_FAMILIES: readonly DriverFamily[] = [postgresDriver, mysqlDriver, pgliteDriver];
