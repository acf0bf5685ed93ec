variable "name" {
  description = "Identifier of the DB instance and prefix of every other resource name, for example \"hello-service-dev\"."
  type        = string

  validation {
    # A DB instance identifier: a letter first, letters, digits and single
    # hyphens, no hyphen at the end. The longest derived name is the
    # monitoring role ("<name>-rds-monitoring"), within IAM's 64 characters.
    condition     = can(regex("^[a-z][a-z0-9-]{0,46}[a-z0-9]$", var.name)) && !strcontains(var.name, "--")
    error_message = "name must be 2 to 48 characters of lowercase letters, digits and single hyphens, start with a letter and not end with a hyphen."
  }
}

variable "vpc_id" {
  description = "ID of the VPC the database runs in."
  type        = string

  validation {
    condition     = can(regex("^vpc-[0-9a-f]+$", var.vpc_id))
    error_message = "vpc_id must be a VPC ID such as vpc-0123456789abcdef0."
  }
}

variable "private_subnet_ids" {
  description = "Private subnets of the DB subnet group, in at least two Availability Zones (RDS requires two, Multi-AZ uses them)."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 2 && alltrue([for id in var.private_subnet_ids : can(regex("^subnet-[0-9a-f]+$", id))])
    error_message = "private_subnet_ids must hold at least two subnet IDs (subnet-...)."
  }
}

variable "allowed_security_group_ids" {
  description = "Security groups whose members may connect on 5432, for example the service's tasks. Nothing else may."
  type        = list(string)
  default     = []

  validation {
    # Only the format of values known at plan time can be checked; IDs of
    # security groups created in the same apply are unknown until then.
    condition     = alltrue([for id in var.allowed_security_group_ids : can(regex("^sg-[0-9a-f]+$", id))])
    error_message = "allowed_security_group_ids must hold security group IDs (sg-...)."
  }
}

variable "engine_version" {
  description = "PostgreSQL version: a major version (\"16\": RDS picks the default minor and auto minor version upgrade keeps it current) or major.minor (\"16.4\"). The parameter group family follows the major version."
  type        = string
  default     = "16"

  validation {
    condition     = can(regex("^[0-9]{2}(\\.[0-9]+)?$", var.engine_version)) && try(tonumber(split(".", var.engine_version)[0]) >= 13, false)
    error_message = "engine_version must be a PostgreSQL major version from 13 on, optionally with a minor version, for example \"16\" or \"16.4\"."
  }
}

variable "instance_class" {
  description = "DB instance class, for example db.t4g.micro (dev) or db.m7g.large."
  type        = string
  default     = "db.t4g.micro"

  validation {
    condition     = can(regex("^db\\.[a-z0-9-]+\\.[a-z0-9]+$", var.instance_class))
    error_message = "instance_class must be an RDS instance class such as db.t4g.micro."
  }
}

variable "allocated_storage" {
  description = "Initial gp3 storage in GiB."
  type        = number
  default     = 20

  validation {
    condition     = var.allocated_storage >= 20 && var.allocated_storage <= 65536 && floor(var.allocated_storage) == var.allocated_storage
    error_message = "allocated_storage must be a whole number of GiB from 20 to 65536."
  }
}

variable "max_allocated_storage" {
  description = "Upper bound in GiB to which RDS may grow the storage by itself when it runs low; 0 turns storage autoscaling off."
  type        = number
  default     = 100

  validation {
    condition     = var.max_allocated_storage == 0 || (var.max_allocated_storage > var.allocated_storage && var.max_allocated_storage <= 65536 && floor(var.max_allocated_storage) == var.max_allocated_storage)
    error_message = "max_allocated_storage must be 0 (no autoscaling) or a whole number of GiB above allocated_storage, at most 65536."
  }
}

variable "multi_az" {
  description = "Keep a synchronous standby in a second Availability Zone, with automatic failover. Off only where an outage of the database is acceptable (dev)."
  type        = bool
  default     = true
}

variable "backup_retention_days" {
  description = "Days automated backups (and point-in-time recovery) are kept."
  type        = number
  default     = 7

  validation {
    condition     = var.backup_retention_days >= 1 && var.backup_retention_days <= 35 && floor(var.backup_retention_days) == var.backup_retention_days
    error_message = "backup_retention_days must be a whole number from 1 to 35: 0 would turn automated backups off."
  }
}

variable "deletion_protection" {
  description = "Refuse to delete the instance until this is turned off. Off only for throwaway environments."
  type        = bool
  default     = true
}

variable "skip_final_snapshot" {
  description = "Delete the instance, and its automated backups, without a final snapshot. Only for throwaway environments."
  type        = bool
  default     = false
}

variable "db_name" {
  description = "Name of the database created in the instance."
  type        = string
  default     = "hello"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.db_name)) && !contains(["postgres", "template0", "template1", "rdsadmin"], lower(var.db_name))
    error_message = "db_name must be 1 to 63 letters, digits and underscores starting with a letter, and not a reserved database name (postgres, template0, template1, rdsadmin)."
  }
}

variable "master_username" {
  description = "Name of the master user. Its password is generated, stored and rotated by RDS in Secrets Manager; the service reads it from there."
  type        = string
  default     = "hello"

  validation {
    condition     = can(regex("^[a-zA-Z][a-zA-Z0-9_]{0,62}$", var.master_username)) && !contains(["postgres", "rdsadmin", "rdsrepladmin", "rds_superuser", "rds_replication", "rds_iam", "public", "admin"], lower(var.master_username))
    error_message = "master_username must be 1 to 63 letters, digits and underscores starting with a letter, and not a reserved name (postgres, rdsadmin, rdsrepladmin, rds_superuser, rds_replication, rds_iam, public, admin)."
  }
}

variable "backup_window" {
  description = "Daily UTC window of the automated backup, hh24:mi-hh24:mi, at least 30 minutes, not overlapping the maintenance window."
  type        = string
  default     = "03:00-03:30"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]-([01][0-9]|2[0-3]):[0-5][0-9]$", var.backup_window))
    error_message = "backup_window must look like 03:00-03:30 (UTC)."
  }
}

variable "maintenance_window" {
  description = "Weekly UTC window for patches and pending modifications, ddd:hh24:mi-ddd:hh24:mi, at least 30 minutes."
  type        = string
  default     = "sun:04:00-sun:04:30"

  validation {
    condition     = can(regex("^(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]-(mon|tue|wed|thu|fri|sat|sun):([01][0-9]|2[0-3]):[0-5][0-9]$", var.maintenance_window))
    error_message = "maintenance_window must look like sun:04:00-sun:04:30 (UTC)."
  }
}

variable "apply_immediately" {
  description = "Apply modifications at once instead of in the next maintenance window. Some (the instance class, for example) restart the database."
  type        = bool
  default     = false
}

variable "monitoring_interval" {
  description = "Seconds between Enhanced Monitoring samples of the operating system (0 turns it off)."
  type        = number
  default     = 60

  validation {
    condition     = contains([0, 1, 5, 10, 15, 30, 60], var.monitoring_interval)
    error_message = "monitoring_interval must be one of 0, 1, 5, 10, 15, 30 or 60."
  }
}

variable "performance_insights_enabled" {
  description = "Turn Performance Insights on (encrypted with the module's key)."
  type        = bool
  default     = true
}

variable "performance_insights_retention_days" {
  description = "Days Performance Insights keeps its data: 7 (free) or a multiple of 31 up to 731."
  type        = number
  default     = 7

  validation {
    condition     = var.performance_insights_retention_days == 7 || (var.performance_insights_retention_days % 31 == 0 && var.performance_insights_retention_days >= 31 && var.performance_insights_retention_days <= 731)
    error_message = "performance_insights_retention_days must be 7 or a multiple of 31 from 31 to 731."
  }
}

variable "iam_database_authentication_enabled" {
  description = "Let IAM principals log in with rds-db:connect tokens, besides the password."
  type        = bool
  default     = true
}

variable "log_min_duration_statement_ms" {
  description = "Statements running at least this many milliseconds are logged with their duration (log_min_duration_statement); -1 turns it off."
  type        = number
  default     = 500

  validation {
    condition     = var.log_min_duration_statement_ms >= -1 && floor(var.log_min_duration_statement_ms) == var.log_min_duration_statement_ms
    error_message = "log_min_duration_statement_ms must be a whole number, -1 or more."
  }
}

variable "log_retention_days" {
  description = "Days the PostgreSQL and upgrade logs exported to CloudWatch Logs are kept."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "ca_cert_identifier" {
  description = "Certificate authority of the server certificate. The RDS global bundle (APP_DB_CA_FILE) trusts all of them."
  type        = string
  default     = "rds-ca-rsa2048-g1"

  validation {
    condition     = contains(["rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1"], var.ca_cert_identifier)
    error_message = "ca_cert_identifier must be rds-ca-rsa2048-g1, rds-ca-rsa4096-g1 or rds-ca-ecc384-g1."
  }
}

variable "engine_lifecycle_support" {
  description = "What happens when the major version leaves standard support: open-source-rds-extended-support-disabled (RDS upgrades it; no Extended Support charges) or open-source-rds-extended-support (paid Extended Support)."
  type        = string
  default     = "open-source-rds-extended-support-disabled"

  validation {
    condition     = contains(["open-source-rds-extended-support", "open-source-rds-extended-support-disabled"], var.engine_lifecycle_support)
    error_message = "engine_lifecycle_support must be open-source-rds-extended-support or open-source-rds-extended-support-disabled."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary for the module's IAM roles (the stack's, from modules/github-oidc), so that the role that applies the stack can manage them; null for none."
  type        = string
  default     = null
}
