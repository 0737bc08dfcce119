/** MySQL's and MariaDB's DDL builders, loaded when a command plans (MysqlDialect.loadDdl). */
export { createMysqlDdl } from './ddl.js';
