variable "name" {
  description = "Prefix for every resource name and Name tag, for example \"hello-service-dev\"."
  type        = string
  nullable    = false

  validation {
    # The longest derived name is the flow log IAM role ("<name>-vpc-flow-logs"),
    # and IAM role names are limited to 64 characters.
    condition     = can(regex("^[a-z][a-z0-9-]{0,48}[a-z0-9]$", var.name))
    error_message = "name must be 2 to 50 characters of lowercase letters, digits and hyphens, start with a letter and not end with a hyphen."
  }
}

variable "cidr_block" {
  description = "IPv4 CIDR block of the VPC, from /16 to /21. Private subnets get a /3 slice each, public subnets a /6 slice each (see the README)."
  type        = string
  nullable    = false
  default     = "10.0.0.0/16"

  validation {
    condition     = try(cidrhost(var.cidr_block, 0) == split("/", var.cidr_block)[0] && can(cidrnetmask(var.cidr_block)), false)
    error_message = "cidr_block must be a valid IPv4 network address in CIDR notation, for example 10.0.0.0/16 (no host bits set)."
  }

  validation {
    # A /21 gives /27 public subnets, the smallest size AWS recommends for an
    # Application Load Balancer; /16 is the largest VPC AWS allows.
    condition     = try(tonumber(split("/", var.cidr_block)[1]) >= 16 && tonumber(split("/", var.cidr_block)[1]) <= 21, false)
    error_message = "cidr_block must have a prefix length from /16 to /21."
  }
}

variable "az_count" {
  description = "Number of Availability Zones to spread the subnets (and, unless single_nat_gateway, the NAT gateways) over."
  type        = number
  nullable    = false
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 6 && floor(var.az_count) == var.az_count
    error_message = "az_count must be a whole number from 2 to 6: an ALB needs subnets in at least two Availability Zones."
  }
}

variable "single_nat_gateway" {
  description = "Use one NAT gateway for all private subnets instead of one per Availability Zone. Cheaper, but egress of every AZ then depends on one AZ: for dev, not for production."
  type        = bool
  nullable    = false
  default     = false
}

variable "flow_log_retention_days" {
  description = "Days the VPC flow logs are kept in CloudWatch Logs. Must be a retention period CloudWatch Logs accepts."
  type        = number
  nullable    = false
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

variable "interface_endpoint_services" {
  description = "AWS services that get an Interface VPC endpoint (private DNS on) in the private subnets, as the part of the service name after \"com.amazonaws.REGION.\". S3 is always a Gateway endpoint and must not be listed."
  type        = list(string)
  nullable    = false
  default     = ["ecr.api", "ecr.dkr", "logs", "secretsmanager"]

  validation {
    condition     = alltrue([for s in var.interface_endpoint_services : can(regex("^[a-z0-9]+([.-][a-z0-9]+)*$", s))])
    error_message = "Each interface endpoint service must be a service name suffix such as \"ecr.api\" or \"secretsmanager\"."
  }

  validation {
    condition     = !contains(var.interface_endpoint_services, "s3")
    error_message = "Do not list \"s3\": the module always creates a free S3 Gateway endpoint on the private route tables."
  }

  validation {
    condition     = length(distinct(var.interface_endpoint_services)) == length(var.interface_endpoint_services)
    error_message = "interface_endpoint_services must not contain duplicates."
  }
}

variable "permissions_boundary_arn" {
  description = "Permissions boundary for the module's IAM roles (the stack's, from modules/github-oidc), so that the role that applies the stack can manage them; null for none."
  type        = string
  default     = null
}
